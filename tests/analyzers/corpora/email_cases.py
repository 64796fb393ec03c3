"""Labelled corpus for check_email.

Python rather than YAML so that credential-shaped test strings can be assembled from
pieces: the repository then holds no literal token for secret scanners to flag. Each case:
id, to, subject, body, decision, codes (a set); optional internal_domains.
"""

from __future__ import annotations

from typing import Any

# Fake credentials, assembled at import time.
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"
AWS_STS_KEY = "ASIA" + "Y3EXAMPLE4KEY5ID"
GH_BODY = "u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d"  # 36 characters
GH_PAT = (
    "github_"
    + "pat_"
    + "11ABCDEFG0"
    + "KLzdocJ2isAjIhKtJ0RlgLKOmxgJTeKdNnFRIBXuDL7DxtpYlSXpfKtHF4vUC"
)
SLACK_BOT = "xox" + "b-" + "2048-4096-BYOvfZ8UzDzV8fUkkibjL5DZ"
SLACK_USER = "xox" + "p-" + "1111-2222-3333-abcdef0123456789"
STRIPE = "sk_" + "live_" + "51HdZxQ2eZvKYlo2C0aBcDeFgHiJ"
STRIPE_RESTRICTED = "rk_" + "live_" + "51HdZxQ2eZvKYlo2C0aBcDeFgHiJ"
OPENAI = "sk-" + "40uvSwMFLZDe1f8rESQedUStPKR0CsTy4Qwb8DwkNhFdnXsi"
OPENAI_PROJECT = "sk-" + "proj-" + "Xy7kq2LmN9pQ4rS6tU8vW0xY2zA4bC6dE8fG0hI2"
ANTHROPIC = "sk-" + "ant-api03-" + "FYY_kv5ZJr3J1TWDtkwtDDb-xHKas1VOqg6YYZYn9ZhyiA4uoRgnatmUdjAW"
GOOGLE = "AI" + "za" + "SyEZDz_TddJ8HyS5SUkCnD8zRA9a9SkpXz9w"[:35]
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    + ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUifQ"
    + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
JWT_NO_ALG = "eyJ0eXAiOiJKV1QiLCJraWQiOiJ4In0" + ".eyJzdWIiOiIxIn0" + ".c2ln"
BEGIN, END = "-----BEGIN ", "-----END "
PEM_RSA = f"{BEGIN}RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n4lgOEePzNm0tRgeLezV6ffAt0gun\n{END}RSA PRIVATE KEY-----"
PEM_OPENSSH = f"{BEGIN}OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n{END}OPENSSH PRIVATE KEY-----"
PEM_HEADER_ONLY = f"{BEGIN}EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5Oh"

UUID = "123e4567-e89b-12d3-a456-426614174000"
COMMIT = "3f786850e387550fdab836ed7e6dc881de23001b"

INTERNAL = "alice@example.com"
OK: list[str] = []


def case(
    id: str,
    body: str,
    decision: str,
    codes: list[str],
    *,
    to: Any = INTERNAL,
    subject: str = "Status update",
    **extra: Any,
) -> dict[str, Any]:
    return {"id": id, "to": to, "subject": subject, "body": body, "decision": decision,
            "codes": codes, **extra}  # fmt: skip


S = ["secret"]
CASES: list[dict[str, Any]] = [
    # --- credentials: DENY secret ---------------------------------------------------
    case("aws_akia", f"Use {AWS_KEY} for the bucket.", "DENY", S),
    case("aws_asia_sts", f"temporary id {AWS_STS_KEY} expires soon", "DENY", S),
    case("aws_glued_to_text", f"key{AWS_KEY}end", "DENY", S),
    case("aws_split_by_zero_width", f"key {AWS_KEY[:8]}\u200b{AWS_KEY[8:]} here", "DENY", S),
    case("github_split_by_soft_hyphen", f"ghp_{GH_BODY[:10]}\u00ad{GH_BODY[10:]}", "DENY", S),
    case("aws_in_subject", "see subject", "DENY", S, subject=f"creds {AWS_KEY}"),
    case("aws_in_display_name", "hi", "DENY", S, to=f'"{AWS_KEY}" <bob@example.com>'),
    case("github_ghp", f"token: ghp_{GH_BODY}", "DENY", S),
    case("github_gho", f"oauth gho_{GH_BODY}", "DENY", S),
    case("github_ghu", f"ghu_{GH_BODY}", "DENY", S),
    case("github_ghs", f"server ghs_{GH_BODY}", "DENY", S),
    case("github_ghr", f"refresh=ghr_{GH_BODY}", "DENY", S),
    case("github_fine_grained", f"PAT {GH_PAT}", "DENY", S),
    case("slack_bot", f"bot token {SLACK_BOT}", "DENY", S),
    case("slack_user", f"{SLACK_USER} is mine", "DENY", S),
    case("stripe_secret", f"STRIPE_KEY={STRIPE}", "DENY", S),
    case("stripe_restricted", f"use {STRIPE_RESTRICTED}", "DENY", S),
    case("openai_legacy", f"OPENAI_API_KEY: {OPENAI}", "DENY", S),
    case("openai_project", f"key is {OPENAI_PROJECT}", "DENY", S),
    case("anthropic", f"Authorization: {ANTHROPIC}", "DENY", S),
    case("google_api_key", f"maps key {GOOGLE} thanks", "DENY", S),
    case("jwt", f"Bearer {JWT}", "DENY", S),
    case("jwt_in_url", f"https://app.example.com/cb?token={JWT}&x=1", "DENY", S),
    case("pem_rsa", f"Here it is:\n{PEM_RSA}\nbye", "DENY", S),
    case("pem_openssh", PEM_OPENSSH, "DENY", S),
    case("pem_without_end", PEM_HEADER_ONLY, "DENY", S),
    case("password_equals", "db login: password=hunter2", "DENY", S),
    case("passwd_colon", "passwd: Tr0ub4dor&3", "DENY", S),
    case("pwd_spaced", "pwd = 'c0rrect-h0rse'", "DENY", S),
    case("password_json", '{"user": "svc", "password": "s3cr3t!"}', "DENY", S),
    case("password_env_var", "DB_PASSWORD=pa55w0rd", "DENY", S),
    case("password_capitalised", "Password: Summer2024!", "DENY", S),
    case(
        "secret_and_pii", f"{AWS_KEY} and card 4111 1111 1111 1111", "DENY", ["secret", "pii_card"]
    ),
    case(
        "everything",
        f"{OPENAI} 4111111111111111",
        "DENY",
        ["secret", "pii_card", "external_recipient"],
        to=["bob@evil.com"],
    ),
    # --- lookalikes that are not credentials: ALLOW ---------------------------------
    case("secretary", "Please ask the secretary about the secret santa list.", "ALLOW", OK),
    case("password_reset_policy", "The password reset policy changes on Monday.", "ALLOW", OK),
    case("passwords_plural", "Passwords must be at least 12 characters.", "ALLOW", OK),
    case("password_masked", "Password: ********", "ALLOW", OK),
    case("password_placeholder", "password=${DB_PASSWORD}", "ALLOW", OK),
    case("password_no_value", "Your password:\n\nwill be sent separately.", "ALLOW", OK),
    case("pwd_command", "Run pwd to print the working directory.", "ALLOW", OK),
    case("sk_learn_prose", "We use sk-learn-style-pipelines-for-everything here.", "ALLOW", OK),
    case(
        "task_hyphenated", "the task-force-meeting-notes-for-the-quarter are attached", "ALLOW", OK
    ),
    case("short_prefixes", "AKIA123, ghp_short, xoxb-1, sk_live_x, AIzaShort", "ALLOW", OK),
    case(
        "public_key_block",
        f"{BEGIN}PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n{END}PUBLIC KEY-----",
        "ALLOW",
        OK,
    ),
    case(
        "certificate_block",
        f"{BEGIN}CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n{END}CERTIFICATE-----",
        "ALLOW",
        OK,
    ),
    case("jwt_header_without_alg", f"not a token: {JWT_NO_ALG}", "ALLOW", OK),
    case("dotted_words", "see docs.example.com/path and file.name.ext and a.b.c", "ALLOW", OK),
    # --- PII: ASK -------------------------------------------------------------------
    case("visa_spaced", "card 4111 1111 1111 1111 exp 12/29", "ASK", ["pii_card"]),
    case("mastercard_dashed", "5555-5555-5555-4444", "ASK", ["pii_card"]),
    case("amex_grouped", "Amex 3782 822463 10005.", "ASK", ["pii_card"]),
    case("discover_plain", "6011111111111117", "ASK", ["pii_card"]),
    case("visa_end_of_sentence", "Charge 4242424242424242.", "ASK", ["pii_card"]),
    case("ssn_dashed", "SSN 123-45-6789 on file", "ASK", ["pii_ssn"]),
    case("ssn_spaced", "ssn: 219 09 9999", "ASK", ["pii_ssn"]),
    case("iban_de_spaced", "IBAN: DE89 3704 0044 0532 0130 00 (Berlin)", "ASK", ["pii_iban"]),
    case("iban_gb_compact", "Pay to GB82WEST12345698765432 today", "ASK", ["pii_iban"]),
    case("iban_then_caps", "NL91ABNA0417164300 PLEASE CONFIRM", "ASK", ["pii_iban"]),
    case("pii_in_subject", "see subject", "ASK", ["pii_ssn"], subject="re: 123-45-6789"),
    case("card_and_ssn", "4111111111111111 / 123-45-6789", "ASK", ["pii_card", "pii_ssn"]),
    # --- numbers that are not PII: ALLOW --------------------------------------------
    case("luhn_failure", "card 4111 1111 1111 1112", "ALLOW", OK),
    case("ssn_area_000", "000-12-3456", "ALLOW", OK),
    case("ssn_area_666", "666-12-3456", "ALLOW", OK),
    case("ssn_area_9xx", "912-34-5678", "ALLOW", OK),
    case("ssn_group_00", "123-00-4567", "ALLOW", OK),
    case("ssn_serial_0000", "123-45-0000", "ALLOW", OK),
    case("iban_bad_checksum", "DE89 3704 0044 0532 0130 01", "ALLOW", OK),
    case("iban_unknown_country", "QQ12 3456 7890 1234 57", "ALLOW", OK),
    case(
        "iban_then_card",
        "DE89 3704 0044 0532 0130 00 4111 1111 1111 1111",
        "ASK",
        ["pii_iban", "pii_card"],
    ),
    case("dates", "Due 2024-03-15, moved to 2024-04-01T10:00:00Z and 15/03/2024.", "ALLOW", OK),
    case(
        "phone_numbers", "Call +1 (415) 555-2671, +44 20 7946 0958 or +49 30 12345678.", "ALLOW", OK
    ),
    case("phone_dashed", "415-555-2671 or 1-800-555-0199", "ALLOW", OK),
    case("uuid", f"ticket {UUID}", "ALLOW", OK),
    case("uuid_all_digits", "id 12345678-1234-1234-1234-123456789012", "ALLOW", OK),
    case("commit_hashes", f"fixed in {COMMIT} (short {COMMIT[:7]})", "ALLOW", OK),
    case("epoch_millis", "at 1700000000000 ms", "ALLOW", OK),
    case("order_and_invoice_ids", "Order 1234567890123456 and invoice 9876543210987", "ALLOW", OK),
    case("money_and_ip", "Total $1,234,567.89 from 192.168.100.200", "ALLOW", OK),
    case("isbn", "ISBN 978-3-16-148410-0", "ALLOW", OK),
    # --- recipients -------------------------------------------------------------------
    case("internal", "hello", "ALLOW", OK),
    case("internal_subdomain", "hello", "ALLOW", OK, to="ops@eu.mail.example.com"),
    case("internal_uppercase", "hello", "ALLOW", OK, to="Bob@EXAMPLE.COM"),
    case("internal_display_name", "hello", "ALLOW", OK, to='"Bob Smith" <bob@example.com>'),
    case("internal_list", "hello", "ALLOW", OK, to=["a@example.com", "b@dev.example.com"]),
    case("internal_two_in_one_string", "hello", "ALLOW", OK, to="a@example.com, b@example.com"),
    case("external", "hello", "ASK", ["external_recipient"], to="bob@evil.com"),
    case(
        "external_display_name", "hello", "ASK", ["external_recipient"], to='"Bob" <bob@evil.com>'
    ),
    case(
        "external_lookalike_suffix", "hi", "ASK", ["external_recipient"], to="bob@evilexample.com"
    ),
    case(
        "external_internal_as_subdomain",
        "hi",
        "ASK",
        ["external_recipient"],
        to="bob@example.com.evil.io",
    ),
    case(
        "external_hidden_behind_name",
        "hi",
        "ASK",
        ["external_recipient"],
        to='"alice@example.com" <eve@evil.com>',
    ),
    case("external_in_list", "hi", "ASK", ["external_recipient"], to=[INTERNAL, "x@gmail.com"]),
    case(
        "custom_internal_domains", "hi", "ASK", ["external_recipient"], internal_domains=["corp.io"]
    ),
    case(
        "custom_internal_ok",
        "hi",
        "ALLOW",
        OK,
        to="dev@corp.io",
        internal_domains=["corp.io", "example.com"],
    ),
    case("invalid_no_at", "hi", "DENY", ["invalid_recipient"], to="not-an-address"),
    case("invalid_double_at", "hi", "DENY", ["invalid_recipient"], to="alice@example.com@evil.com"),
    case(
        "invalid_semicolon_list",
        "hi",
        "DENY",
        ["invalid_recipient", "external_recipient"],
        to="a@example.com;b@evil.com",
    ),
    case("invalid_ip_literal", "hi", "DENY", ["invalid_recipient"], to="root@[10.0.0.1]"),
    case("invalid_dotless_domain", "hi", "DENY", ["invalid_recipient"], to="root@localhost"),
    case("invalid_non_ascii_domain", "hi", "DENY", ["invalid_recipient"], to="bob@exämple.com"),
    case("invalid_empty_list", "hi", "DENY", ["invalid_recipient"], to=[]),
    case("invalid_empty_string", "hi", "DENY", ["invalid_recipient"], to=""),
    case(
        "invalid_mixed_with_external",
        "hi",
        "DENY",
        ["invalid_recipient", "external_recipient"],
        to=["bob@evil.com", "garbage"],
    ),
    # --- header injection and control characters --------------------------------------
    case(
        "subject_header_injection", "hi", "DENY", ["input_invalid"], subject="Hi\r\nBcc: x@evil.com"
    ),
    case(
        "recipient_header_injection",
        "hi",
        "DENY",
        ["input_invalid"],
        to="bob@example.com\nBcc: x@evil.com",
    ),
    case("body_nul", "hello\x00world", "DENY", ["input_invalid"]),
]

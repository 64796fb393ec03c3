// Guardian dashboard: live updates over Server-Sent Events, decisions without a page reload.
// Every string that came from an agent is written with textContent, never innerHTML, so a
// target like "<script>" or a param like '" onclick="' is shown as the text it is.
"use strict";

(function () {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const csrf = meta ? meta.getAttribute("content") : "";
  const page = document.body.dataset.page || "";

  function byRole(root, role) {
    return root.querySelector('[data-role="' + role + '"]');
  }

  function setText(root, role, text) {
    const el = byRole(root, role);
    if (el) el.textContent = text == null ? "" : String(text);
  }

  function pretty(value) {
    return JSON.stringify(value == null ? {} : value, null, 2);
  }

  function findRow(proposalId) {
    const rows = document.querySelectorAll("tr.proposal");
    for (const row of rows) {
      if (row.dataset.proposalId === proposalId) return row;
    }
    return null;
  }

  function markDecided(row, status, note) {
    row.classList.add("decided", "status-" + status);
    setText(row, "status", status);
    if (note) setText(row, "message", note);
    for (const control of row.querySelectorAll("form button, form input")) {
      control.disabled = true;
    }
  }

  async function submitDecision(form, event) {
    event.preventDefault();
    const row = form.closest("tr.proposal");
    const button = form.querySelector("button");
    if (button) button.disabled = true;
    try {
      const response = await fetch(form.getAttribute("action"), {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json", "X-CSRF-Token": csrf },
        credentials: "same-origin",
      });
      const data = await response.json();
      if (response.ok) {
        const proposal = data.proposal;
        let note = proposal.status + " by " + (proposal.decided_by || "you");
        if (data.grant) note += "; granted until " + data.grant.expires_at;
        markDecided(row, proposal.status, note);
      } else {
        setText(row, "message", data.error ? data.error.message : "failed");
        if (button) button.disabled = false;
      }
    } catch (err) {
      setText(row, "message", "network error: " + err);
      if (button) button.disabled = false;
    }
  }

  function bindForms(root) {
    for (const form of root.querySelectorAll("form.decide-form")) {
      form.addEventListener("submit", function (event) {
        submitDecision(form, event);
      });
    }
  }

  function addProposal(entry) {
    const p = entry.payload;
    const id = p.proposal_id;
    const template = document.getElementById("proposal-template");
    const tbody = document.getElementById("proposal-rows");
    if (!id || !template || !tbody || findRow(id)) return;
    const row = template.content.querySelector("tr").cloneNode(true);
    const intent = p.intent || {};
    row.dataset.proposalId = id;
    setText(row, "status", "pending");
    setText(row, "actor", intent.actor);
    setText(row, "action", intent.action);
    setText(row, "target", intent.target);
    setText(row, "params", pretty(intent.params));
    setText(row, "metadata", pretty(intent.metadata));
    setText(row, "session", intent.session_id || "—");
    setText(row, "rule", p.rule_id || "—");
    setText(row, "expires", "…");
    const idCell = row.querySelector(".mono.small");
    if (idCell) idCell.textContent = id;
    const reasons = byRole(row, "reasons");
    for (const reason of p.reasons || []) {
      const item = document.createElement("li");
      const code = document.createElement("code");
      code.textContent = reason.code;
      item.appendChild(code);
      item.appendChild(document.createTextNode(" " + reason.message));
      reasons.appendChild(item);
    }
    for (const form of row.querySelectorAll("form.decide-form")) {
      form.setAttribute("action", "/proposals/" + encodeURIComponent(id) + "/" + form.dataset.verb);
    }
    bindForms(row);
    row.classList.add("fresh");
    tbody.insertBefore(row, tbody.firstChild);
    const empty = document.getElementById("no-proposals");
    if (empty) empty.hidden = true;
    fillDetails(row, id);
  }

  async function fillDetails(row, id) {
    // The decision event has the intent; the proposal adds its deadline (and current status).
    try {
      const response = await fetch("/proposals/" + encodeURIComponent(id), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const proposal = await response.json();
      setText(row, "expires", proposal.expires_at);
      if (proposal.status !== "pending") markDecided(row, proposal.status, null);
    } catch (err) {
      setText(row, "expires", "unknown");
    }
  }

  function cell(text, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text == null ? "" : String(text);
    return td;
  }

  function matchesFilters(p) {
    const form = document.getElementById("decision-filters");
    if (!form) return true;
    const data = new FormData(form);
    const intent = p.intent || {};
    return (!data.get("actor") || data.get("actor") === intent.actor) &&
      (!data.get("action") || data.get("action") === intent.action) &&
      (!data.get("decision") || data.get("decision") === p.decision);
  }

  function addDecision(entry) {
    const p = entry.payload;
    const tbody = document.getElementById("decision-rows");
    if (!tbody || !matchesFilters(p)) return;
    const intent = p.intent || {};
    const row = document.createElement("tr");
    row.appendChild(cell(entry.seq, "mono"));
    row.appendChild(cell(entry.ts, "mono small"));
    row.appendChild(cell(intent.actor));
    row.appendChild(cell(intent.action));
    row.appendChild(cell(intent.target, "wrap"));
    const verdict = cell("");
    const badge = document.createElement("span");
    badge.className = "verdict verdict-" + String(p.decision).toLowerCase();
    badge.textContent = p.decision;
    verdict.appendChild(badge);
    row.appendChild(verdict);
    row.appendChild(cell(p.rule_id || "—"));
    row.appendChild(cell((p.reasons || []).map((r) => r.code + " " + r.message).join("; "), "small"));
    row.classList.add("fresh");
    tbody.insertBefore(row, tbody.firstChild);
  }

  function countDecision(entry) {
    const p = entry.payload;
    const tbody = document.getElementById("agent-rows");
    const actor = (p.intent || {}).actor;
    if (!tbody || !actor) return;
    let row = null;
    for (const candidate of tbody.querySelectorAll("tr")) {
      if (candidate.dataset.actor === actor) row = candidate;
    }
    if (!row) {
      row = document.createElement("tr");
      row.dataset.actor = actor;
      const name = cell(actor);
      name.dataset.role = "actor";
      row.appendChild(name);
      for (const v of ["ALLOW", "ASK", "DENY"]) {
        const td = cell("0");
        td.dataset.verdict = v;
        row.appendChild(td);
      }
      const total = cell("0");
      total.dataset.role = "total";
      row.appendChild(total);
      tbody.appendChild(row);
    }
    for (const td of row.querySelectorAll('[data-verdict="' + p.decision + '"], [data-role="total"]')) {
      td.textContent = String(Number(td.textContent) + 1);
    }
  }

  function onApproval(entry) {
    const p = entry.payload;
    const row = findRow(p.proposal_id);
    if (!row) return;
    if (p.outcome === "refused") {
      setText(row, "message", "refused for " + ((p.by || {}).id || "someone") + ": " + p.flag);
      return;
    }
    markDecided(row, p.outcome, p.outcome + " by " + ((p.by || {}).id || "the system"));
  }

  function showVerify(report) {
    const box = document.getElementById("verify-result");
    if (!box) return;
    box.replaceChildren();
    const verdict = document.createElement("p");
    verdict.className = report.ok ? "ok" : "error";
    verdict.dataset.role = "verdict";
    verdict.textContent = report.ok ? "OK" : "INVALID";
    box.appendChild(verdict);
    const details = document.createElement("p");
    details.textContent = report.ok
      ? report.entries + " entries verified; " + report.checkpoints + " checkpoint(s), signatures " + report.signatures
      : "first bad seq " + report.first_bad_seq + " (" + report.reason + "): " + report.detail;
    box.appendChild(details);
    box.hidden = false;
  }

  function bindVerify() {
    const form = document.getElementById("verify-form");
    if (!form) return;
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const response = await fetch(form.getAttribute("action"), {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json", "X-CSRF-Token": csrf },
        credentials: "same-origin",
      });
      const data = await response.json();
      showVerify(response.ok ? data : { ok: false, detail: data.error ? data.error.message : "failed" });
    });
  }

  function connect() {
    const status = document.getElementById("live-status");
    if (!status || !window.EventSource) return;
    const after = document.body.dataset.head;
    const source = new EventSource("/events" + (after ? "?after=" + encodeURIComponent(after) : ""));
    source.onopen = function () {
      status.textContent = "live";
      status.dataset.state = "live";
    };
    source.onerror = function () {
      status.textContent = "reconnecting…";
      status.dataset.state = "down";
    };
    source.addEventListener("decision", function (message) {
      const entry = JSON.parse(message.data);
      if (page === "pending" && entry.payload.decision === "ASK") addProposal(entry);
      if (page === "decisions") addDecision(entry);
      if (page === "agents") countDecision(entry);
    });
    source.addEventListener("approval", function (message) {
      if (page === "pending") onApproval(JSON.parse(message.data));
    });
    for (const kind of ["decision", "approval", "receipt", "grant", "security", "session"]) {
      source.addEventListener(kind, function (message) {
        const head = document.getElementById("ledger-head");
        if (head) head.textContent = message.lastEventId;
      });
    }
  }

  bindForms(document);
  bindVerify();
  connect();
})();

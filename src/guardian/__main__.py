from guardian.cli.main import run

run()

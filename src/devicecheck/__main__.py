from devicecheck.cli import run

run()

"""Running `oss` subcommands that read and print JSON."""
import json
import subprocess


def oss_json(oss, args, stdin):
    out = subprocess.run([oss, *args], input=json.dumps(stdin), capture_output=True, text=True, check=True)
    return json.loads(out.stdout)

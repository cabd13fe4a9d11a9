#!/usr/bin/env python3
"""Reads the repository's Dockerfile for scripts/cluster/images.sh, which builds the operator image without Docker
from the same instructions: the Dockerfile stays the one recipe. Only what that Dockerfile uses is understood
(FROM debian:<suite>[-slim], RUN, COPY, USER, ENV, EXPOSE, ENTRYPOINT, WORKDIR); anything else is an error, so the two
cannot drift apart silently.

Usage: dockerfile.py DOCKERFILE suite|run|copy|config [default PATH]
  suite   the Debian suite of FROM
  run     the RUN commands, one sh script each, NUL-separated
  copy    "SRC DST" per COPY
  config  umoci config options, one per line ($PATH in ENV is the given default PATH)
"""
import json
import re
import shlex
import sys


def instructions(path):
    lines, current = [], ""
    for raw in open(path, encoding="utf-8"):
        line = raw.rstrip("\n")
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        keyword, _, rest = current.strip().partition(" ")
        lines.append((keyword.upper(), rest.strip()))
        current = ""
    return lines


def main():
    dockerfile, what = sys.argv[1], sys.argv[2]
    default_path = sys.argv[3] if len(sys.argv) > 3 else "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    suite, runs, copies, config = None, [], [], []
    for keyword, rest in instructions(dockerfile):
        if keyword == "FROM":
            m = re.fullmatch(r"debian:([a-z]+)(-slim)?", rest)
            if not m:
                sys.exit(f"{dockerfile}: FROM {rest}: only debian:<suite>[-slim] is understood")
            suite = m.group(1)
        elif keyword == "RUN":
            runs.append(rest)
        elif keyword == "COPY":
            src, dst = shlex.split(rest)
            copies.append(f"{src} {dst}")
        elif keyword == "USER":
            config.append(f"--config.user={rest}")
        elif keyword == "ENV":
            for pair in shlex.split(rest.replace("\n", " ")):
                key, _, value = pair.partition("=")
                config.append(f"--config.env={key}={value.replace('$PATH', default_path)}")
        elif keyword == "EXPOSE":
            config += [f"--config.exposedports={p if '/' in p else p + '/tcp'}" for p in rest.split()]
        elif keyword == "ENTRYPOINT":
            config += [f"--config.entrypoint={arg}" for arg in json.loads(rest)]
        elif keyword == "WORKDIR":
            config.append(f"--config.workingdir={rest}")
        else:
            sys.exit(f"{dockerfile}: {keyword} is not understood by scripts/cluster/dockerfile.py")
    if suite is None:
        sys.exit(f"{dockerfile}: no FROM")
    if not any(c.startswith("--config.env=PATH=") for c in config):
        config.append(f"--config.env=PATH={default_path}")
    if what == "suite":
        print(suite)
    elif what == "run":
        sys.stdout.write("\0".join(runs))
    elif what == "copy":
        print("\n".join(copies))
    elif what == "config":
        print("\n".join(config))
    else:
        sys.exit(f"unknown query {what}")


main()

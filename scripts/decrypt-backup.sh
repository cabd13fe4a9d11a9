#!/usr/bin/env bash
# Decrypts a downloaded backup object (see docs/recovery-runbook.md). Arguments go to
# dev.databaseunit.operator.backup.DecryptBackup: --manifest FILE --in FILE --out FILE, and the key-encryption
# key from --kek-file FILE or the DATABASEUNIT_KEK environment variable (never on the command line).
# Paths are relative to the directory this is run from.
source "$(dirname "$0")/lib.sh"
classpath="$(cd "$ROOT" && ./mvnw -q -B -ntp compile \
  && echo "$ROOT/target/classes:$(./mvnw -q -B -ntp dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile=/dev/stdout)")"
exec "$(newest_jdk)/bin/java" -cp "$classpath" dev.databaseunit.operator.backup.DecryptBackup "$@"

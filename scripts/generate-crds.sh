#!/usr/bin/env bash
# Regenerates crds/ from the Java API classes (fabric8 crd-generator, run by the build). Never hand-edit crds/.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
./mvnw -q -B process-classes
rm -f crds/*.yml
mkdir -p crds
cp target/generated-crds/*.yml crds/
log "crds/ regenerated: $(ls crds | tr '\n' ' ')"

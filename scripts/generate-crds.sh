#!/usr/bin/env bash
# Regenerates crds/ (and the Helm chart's copy) from the Java API classes (fabric8 crd-generator, run by the
# build). Never hand-edit either.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
./mvnw -q -B process-classes
rm -f crds/*.yml
mkdir -p crds
cp target/generated-crds/*.yml crds/
CHART_CRDS=helm/databaseunit-operator/files/crds
rm -f "$CHART_CRDS"/*.yml
mkdir -p "$CHART_CRDS"
cp target/generated-crds/*.yml "$CHART_CRDS"/
log "crds/ regenerated: $(ls crds | tr '\n' ' ')"

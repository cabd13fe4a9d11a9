#!/usr/bin/python3
"""Writes kubeconform's strict JSON schemas, offline, one file per kind in kubeconform's own naming
({{ .ResourceKind }}{{ .KindSuffix }}.json: <kind>[-<first label of the group>]-<version>.json, e.g. deployment-apps-v1).

  openapi2jsonschema.py OUT_DIR swagger.json crd.yaml...

swagger.json is the Kubernetes OpenAPI v2 document (api/openapi-spec/swagger.json of the k8s.io/kubernetes module);
each kind's file carries the definitions it reaches (recursive ones, such as a CRD's JSONSchemaProps, stay references).
CRD files contribute each version's openAPIV3Schema. Strict, as kubeconform's own generator makes them: an
object that lists its properties accepts no others (unless it says x-kubernetes-preserve-unknown-fields), and
int-or-string and quantities accept both forms, as the API server does.
"""
import copy
import json
import os
import sys

import yaml

BOTH = [{"type": "string"}, {"type": "integer"}]


def strict(schema):
    """Closes every object schema in schema that lists its properties; rewrites int-or-string. Walks schema
    positions only, since a property may be called "properties" or "format" (JSONSchemaProps has both)."""
    if not isinstance(schema, dict):
        return
    if schema.get("format") == "int-or-string" or schema.get("x-kubernetes-int-or-string") is True:
        for key in ("type", "format", "anyOf"):
            schema.pop(key, None)
        schema["oneOf"] = copy.deepcopy(BOTH)
    if "properties" in schema and "additionalProperties" not in schema \
            and schema.get("x-kubernetes-preserve-unknown-fields") is not True:
        schema["additionalProperties"] = False
    for key in ("properties", "patternProperties", "definitions"):
        for child in schema.get(key, {}).values():
            strict(child)
    for key in ("items", "additionalProperties", "not"):
        strict(schema.get(key))
    for key in ("allOf", "anyOf", "oneOf"):
        for child in schema.get(key, []):
            strict(child)


def reachable(definitions, root):
    """The names of the definitions that root refers to, transitively, root included."""
    seen, todo = set(), [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        stack = [definitions[name]]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and ref.startswith("#/definitions/"):
                    todo.append(ref[len("#/definitions/"):])
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
    return seen


def write(out, kind, group, version, schema):
    suffix = f"-{group.split('.')[0]}" if group else ""
    path = os.path.join(out, f"{kind.lower()}{suffix}-{version}.json")
    with open(path, "w") as f:
        json.dump(schema, f)


def builtins(out, swagger):
    definitions = swagger["definitions"]
    # Quantities are strings in the document but the API server takes numbers too (cpu: 1).
    quantity = "io.k8s.apimachinery.pkg.api.resource.Quantity"
    if quantity in definitions:
        definitions[quantity] = {"oneOf": [{"type": "string"}, {"type": "number"}]}
    for schema in definitions.values():
        strict(schema)
    count = 0
    for name, schema in definitions.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            used = reachable(definitions, name)
            write(out, gvk["kind"], gvk["group"], gvk["version"],
                  {"$ref": f"#/definitions/{name}", "definitions": {n: definitions[n] for n in used}})
            count += 1
    return count


def crds(out, path):
    count = 0
    with open(path) as f:
        for crd in yaml.safe_load_all(f):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            for version in spec["versions"]:
                schema = copy.deepcopy(version["schema"]["openAPIV3Schema"])
                # Every object has these; the API server adds them to a CRD's schema, kubeconform does not.
                implicit = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}}
                schema.setdefault("properties", {}).update(
                    {k: v for k, v in implicit.items() if k not in schema["properties"]})
                strict(schema)
                write(out, spec["names"]["kind"], spec["group"], version["name"], schema)
                count += 1
    return count


def main(out, swagger_path, *crd_paths):
    os.makedirs(out, exist_ok=True)
    with open(swagger_path) as f:
        count = builtins(out, json.load(f))
    for path in crd_paths:
        count += crds(out, path)
    print(f"{count} schemas in {out}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])

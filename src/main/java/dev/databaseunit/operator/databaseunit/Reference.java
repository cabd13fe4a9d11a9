package dev.databaseunit.operator.databaseunit;

import java.util.List;

/** An object in the unit's namespace that its spec depends on, and what it must contain. */
public sealed interface Reference {
  String name();

  /** What the reference is for, as a user reads it in a condition message, e.g. "spec.postgres.external.credentials". */
  String field();

  record SecretKeys(String name, List<String> keys, String field) implements Reference {}

  record ConfigMap(String name, String field) implements Reference {}
}

package dev.databaseunit.operator.databaseunit;

import dev.databaseunit.operator.api.v1alpha1.CredentialsRef;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitSpec;
import dev.databaseunit.operator.events.EventReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/** Which Secrets and ConfigMaps a DatabaseUnit needs, and the first one that is missing or incomplete. */
public final class ReferenceCheck {

  /** A reference that cannot be satisfied: its reason, and a message naming the object, never its data. */
  public record Problem(EventReason reason, String message) {}

  private ReferenceCheck() {}

  public static List<Reference> referencesOf(DatabaseUnitSpec spec) {
    List<Reference> refs = new ArrayList<>();
    if (spec.postgres() != null && spec.postgres().external() != null) {
      refs.add(credentials(spec.postgres().external().credentials(), "spec.postgres.external.credentials"));
    }
    if (spec.pooler() != null && spec.pooler().external() != null) {
      refs.add(credentials(spec.pooler().external().adminCredentials(), "spec.pooler.external.adminCredentials"));
    }
    if (spec.pooler() != null && spec.pooler().external() == null && spec.pooler().managed() != null
        && spec.pooler().managed().clientTls() != null && spec.pooler().managed().clientTls().secretName() != null) {
      refs.add(new Reference.SecretKeys(spec.pooler().managed().clientTls().secretName(), List.of("tls.crt", "tls.key"),
          "spec.pooler.managed.clientTls.secretName"));
    }
    if (spec.cache() != null && spec.cache().external() != null && spec.cache().external().credentials() != null) {
      refs.add(credentials(spec.cache().external().credentials(), "spec.cache.external.credentials"));
    }
    if (spec.cache() != null && spec.cache().external() != null && spec.cache().external().caSecret() != null) {
      var ca = spec.cache().external().caSecret();
      refs.add(new Reference.SecretKeys(ca.name(), List.of(ca.key()), "spec.cache.external.caSecret"));
    }
    if (spec.postgres() != null && spec.postgres().external() != null && spec.postgres().external().tls() != null
        && spec.postgres().external().tls().caSecret() != null) {
      var ca = spec.postgres().external().tls().caSecret();
      refs.add(new Reference.SecretKeys(ca.name(), List.of(ca.key()), "spec.postgres.external.tls.caSecret"));
    }
    if (spec.migrations() != null && spec.migrations().configMaps() != null) {
      spec.migrations().configMaps().forEach(name -> refs.add(new Reference.ConfigMap(name, "spec.migrations.configMaps")));
    }
    return List.copyOf(refs);
  }

  /**
   * @param secretKeys the key names of a Secret by name, empty when the Secret does not exist
   * @param configMapExists whether a ConfigMap of that name exists
   */
  public static Optional<Problem> firstProblem(
      List<Reference> references, Function<String, Optional<Set<String>>> secretKeys, Function<String, Boolean> configMapExists) {
    for (Reference ref : references) {
      switch (ref) {
        case Reference.SecretKeys s -> {
          Optional<Set<String>> keys = secretKeys.apply(s.name());
          if (keys.isEmpty()) {
            return Optional.of(new Problem(EventReason.SecretNotFound, "Secret " + s.name() + " referenced by " + s.field() + " does not exist"));
          }
          for (String key : s.keys()) {
            if (!keys.get().contains(key)) {
              return Optional.of(new Problem(EventReason.SecretKeyMissing,
                  "Secret " + s.name() + " referenced by " + s.field() + " has no key " + key));
            }
          }
        }
        case Reference.ConfigMap c -> {
          if (!configMapExists.apply(c.name())) {
            return Optional.of(new Problem(EventReason.ConfigMapNotFound,
                "ConfigMap " + c.name() + " referenced by " + c.field() + " does not exist"));
          }
        }
      }
    }
    return Optional.empty();
  }

  private static Reference credentials(CredentialsRef ref, String field) {
    return new Reference.SecretKeys(ref.secretName(), List.of(ref.usernameKey(), ref.passwordKey()), field);
  }
}

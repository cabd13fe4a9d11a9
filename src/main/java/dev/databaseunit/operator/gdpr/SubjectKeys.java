package dev.databaseunit.operator.gdpr;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.SecretKeyRef;
import dev.databaseunit.operator.common.GeneratedSecrets;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.postgres.PostgresTargets;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import java.util.Optional;

/**
 * A unit's subject hash key: the Secret key spec.gdpr.subjectHashKey names, or {@code <unit>-gdpr-subject-key}, which the
 * operator makes once. It outlives the unit (no owner): backups of the unit keep ledger hashes made with it, and a unit
 * bootstrapped from them names the same Secret to re-apply those erasures.
 */
public final class SubjectKeys {
  static final String GENERATED_KEY = "key";

  private SubjectKeys() {}

  public static String generatedSecretName(String unitName) {
    return unitName + "-gdpr-subject-key";
  }

  /** @param secrets where the unit's Secrets are read; the generated key's Secret is created through {@code client} */
  public static SubjectKey resolve(KubernetesClient client, PostgresTargets.SecretLookup secrets, DatabaseUnit unit)
      throws UnitProblem {
    String namespace = unit.getMetadata().getNamespace();
    var gdpr = unit.getSpec().gdpr();
    SecretKeyRef ref = gdpr != null ? gdpr.subjectHashKey() : null;
    PostgresTargets.SecretLookup holding = secrets;
    if (ref == null) {
      String name = generatedSecretName(unit.getMetadata().getName());
      Secret generated = GeneratedSecrets.createOnce(client, secrets.find(namespace, name), () -> newKeySecret(namespace, name));
      ref = new SecretKeyRef(name, GENERATED_KEY);
      holding = (ns, n) -> Optional.ofNullable(generated);
    }
    try {
      return SubjectKey.fromBase64(PostgresTargets.value(holding, namespace, ref));
    } catch (IllegalArgumentException e) {
      throw new UnitProblem(EventReason.GdprSubjectKeyInvalid, "The subject hash key " + ref.key() + " in Secret " + namespace + "/"
          + ref.name() + " is unusable: " + e.getMessage());
    }
  }

  private static Secret newKeySecret(String namespace, String name) {
    return new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace)
        .addToLabels("app.kubernetes.io/managed-by", "databaseunit-operator").endMetadata()
        .withStringData(Map.of(GENERATED_KEY, SubjectKey.newBase64())).build();
  }
}

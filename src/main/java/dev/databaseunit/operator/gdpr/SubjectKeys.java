package dev.databaseunit.operator.gdpr;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.SecretKeyRef;
import dev.databaseunit.operator.databaseunit.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.postgres.PostgresTargets;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
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

  public static SubjectKey resolve(KubernetesClient client, DatabaseUnit unit) throws UnitProblem {
    String namespace = unit.getMetadata().getNamespace();
    var gdpr = unit.getSpec().gdpr();
    SecretKeyRef ref = gdpr != null ? gdpr.subjectHashKey() : null;
    PostgresTargets.SecretLookup secrets = (ns, name) -> Optional.ofNullable(client.secrets().inNamespace(ns).withName(name).get());
    if (ref == null) {
      ref = new SecretKeyRef(generatedSecretName(unit.getMetadata().getName()), GENERATED_KEY);
      if (secrets.find(namespace, ref.name()).isEmpty()) {
        create(client, namespace, ref.name());
      }
    }
    try {
      return SubjectKey.fromBase64(PostgresTargets.value(secrets, namespace, ref));
    } catch (IllegalArgumentException e) {
      throw new UnitProblem(EventReason.GdprSubjectKeyInvalid, "The subject hash key " + ref.key() + " in Secret " + namespace + "/"
          + ref.name() + " is unusable: " + e.getMessage());
    }
  }

  private static void create(KubernetesClient client, String namespace, String name) {
    try {
      client.secrets().inNamespace(namespace).resource(new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace)
          .addToLabels("app.kubernetes.io/managed-by", "databaseunit-operator").endMetadata()
          .withStringData(Map.of(GENERATED_KEY, SubjectKey.newBase64())).build()).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
      // Made meanwhile by another reconcile: that one is the key.
    }
  }
}

package dev.databaseunit.operator.connection;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus;
import dev.databaseunit.operator.databaseunit.UnitCapability;
import dev.databaseunit.operator.databaseunit.UnitContext;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.pool.PgBouncerResources;
import dev.databaseunit.operator.postgres.PostgresTargets;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Objects;
import java.util.Optional;

/**
 * Keeps {@code <unit>-connection} equal to {@link ConnectionSecrets#desired}: written with server-side apply
 * when it is missing or differs (rotated credentials, a pooler added), left alone otherwise, so a steady unit
 * costs no API call. Owned by the unit, so Kubernetes deletes it with the unit. It only needs the resolved
 * target, not a working connection: applications get their Secret even while the database is down. A managed
 * instance's Secret carries its application role, never the operator's role or the superuser.
 */
public final class ConnectionSecretCapability implements UnitCapability {
  private final KubernetesClient client;

  public ConnectionSecretCapability(KubernetesClient client) {
    this.client = client;
  }

  @Override
  public String name() {
    return "connection-secret";
  }

  @Override
  public boolean needsDatabase() {
    return false;
  }

  @Override
  public Outcome reconcile(UnitContext context, DatabaseUnitStatus status) {
    if (context.target().isEmpty()) {
      return Outcome.done(status);
    }
    var unit = context.unit();
    var pooler = unit.getSpec().pooler();
    Optional<String> poolerCa = pooler != null && pooler.external() == null
        ? PgBouncerResources.clientCaCertificate(unit, pooler, context.secrets()) : Optional.empty();
    Secret desired;
    try {
      desired = ConnectionSecrets.desired(unit, PostgresTargets.application(unit, context.target().get(), context.secrets()),
          poolerCa);
    } catch (UnitProblem p) {
      return Outcome.degraded(status, p);
    }
    var existing = context.secrets().find(unit.getMetadata().getNamespace(), desired.getMetadata().getName());
    if (existing.isEmpty() || !matches(existing.get(), desired)) {
      try {
        client.resource(desired).forceConflicts().serverSideApply();
      } catch (KubernetesClientException e) {
        return Outcome.degraded(status, new UnitProblem(EventReason.ConnectionSecretFailed,
            "Cannot write Secret " + desired.getMetadata().getName() + ": "
            + (e.getStatus() != null ? e.getStatus().getMessage() : e.getMessage()), e));
      }
    }
    return Outcome.done(status.withConnectionSecret(desired.getMetadata().getName()));
  }

  private static boolean matches(Secret existing, Secret desired) {
    return Objects.equals(existing.getData(), desired.getData())
        && Objects.equals(existing.getType(), desired.getType())
        && existing.getMetadata().getLabels() != null
        && existing.getMetadata().getLabels().entrySet().containsAll(desired.getMetadata().getLabels().entrySet())
        && existing.getMetadata().getOwnerReferences() != null
        && existing.getMetadata().getOwnerReferences().containsAll(desired.getMetadata().getOwnerReferences());
  }
}

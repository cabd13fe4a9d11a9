package dev.databaseunit.operator.connection;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus;
import dev.databaseunit.operator.common.DesiredObjects;
import dev.databaseunit.operator.databaseunit.UnitCapability;
import dev.databaseunit.operator.databaseunit.UnitContext;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.pool.PgBouncerResources;
import dev.databaseunit.operator.postgres.PostgresTargets;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.Optional;

/**
 * Keeps {@code <unit>-connection} equal to {@link ConnectionSecrets#desired}: written by {@link DesiredObjects}
 * when it is missing or either side changed (rotated credentials, a pooler added, an edit), left alone otherwise,
 * so a steady unit costs no API call. Owned by the unit, so Kubernetes deletes it with the unit. It only needs the resolved
 * target, not a working connection: applications get their Secret even while the database is down. A managed
 * instance's Secret carries its application role, never the operator's role or the superuser.
 */
public final class ConnectionSecretCapability implements UnitCapability {
  private final DesiredObjects objects;

  public ConnectionSecretCapability(DesiredObjects objects) {
    this.objects = objects;
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
    try {
      objects.apply(owner(context.unitKey()), desired, context.live());
    } catch (KubernetesClientException e) {
      return Outcome.degraded(status, new UnitProblem(EventReason.ConnectionSecretFailed,
          "Cannot write Secret " + desired.getMetadata().getName() + ": "
          + (e.getStatus() != null ? e.getStatus().getMessage() : e.getMessage()), e));
    }
    return Outcome.done(status.withConnectionSecret(desired.getMetadata().getName()));
  }

  @Override
  public void unitDeleted(String unitKey) {
    objects.forget(owner(unitKey));
  }

  private static String owner(String unitKey) {
    return unitKey + " connection";
  }
}

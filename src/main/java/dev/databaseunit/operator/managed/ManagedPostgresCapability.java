package dev.databaseunit.operator.managed;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus;
import dev.databaseunit.operator.common.DesiredObjects;
import dev.databaseunit.operator.common.GeneratedSecrets;
import dev.databaseunit.operator.databaseunit.UnitCapability;
import dev.databaseunit.operator.databaseunit.UnitContext;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.postgres.PostgresTargets;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;

/**
 * Runs a unit's PostgreSQL when the spec asks for a managed one: creates the Secrets once, applies the Service
 * and StatefulSet when their rendering or the live objects change ({@link DesiredObjects}: server-side apply, so a
 * spec change updates them in place), and reports Progressing until the instance is ready. It runs before the
 * operator connects to the database.
 */
public final class ManagedPostgresCapability implements UnitCapability {
  private final KubernetesClient client;
  private final Clock clock;
  private final DesiredObjects objects;

  public ManagedPostgresCapability(KubernetesClient client, Clock clock, DesiredObjects objects) {
    this.client = client;
    this.clock = clock;
    this.objects = objects;
  }

  @Override
  public String name() {
    return "managed-postgres";
  }

  @Override
  public boolean needsDatabase() {
    return false;
  }

  @Override
  public boolean providesDatabase() {
    return true;
  }

  @Override
  public Outcome reconcile(UnitContext context, DatabaseUnitStatus status) {
    DatabaseUnit unit = context.unit();
    if (unit.getSpec().postgres().managed() == null) {
      return Outcome.done(status);
    }
    String name = unit.getMetadata().getName();
    createOnce(context, PostgresTargets.managedSuperuserSecret(name), () -> ManagedPostgresResources.superuserSecret(unit));
    createOnce(context, PostgresTargets.managedOperatorSecret(name), () -> ManagedPostgresResources.operatorSecret(unit));
    createOnce(context, PostgresTargets.managedApplicationSecret(name), () -> ManagedPostgresResources.applicationSecret(unit));
    createOnce(context, PostgresTargets.managedTlsSecret(name), () -> ManagedPostgresResources.tlsSecret(unit, clock.instant()));
    String owner = owner(context.unitKey());
    objects.apply(owner, ManagedPostgresResources.service(unit), context.live());
    StatefulSet applied = objects.apply(owner, ManagedPostgresResources.statefulSet(unit), context.live());
    Integer ready = applied.getStatus() != null ? applied.getStatus().getReadyReplicas() : null;
    if (ready == null || ready < 1) {
      // Once the instance has served the unit, losing its pod is an outage, not progress: the unit says so until the
      // StatefulSet has a ready pod again (its informer brings the unit back at once).
      if (status.database() != null && status.database().serverVersion() != null) {
        return Outcome.degraded(status, new UnitProblem(EventReason.ManagedPostgresUnavailable, "the managed PostgreSQL "
            + ManagedPostgresResources.name(unit) + " has no ready pod: clients wait until it is back"));
      }
      return Outcome.progressing(status, "waiting for the managed PostgreSQL " + ManagedPostgresResources.name(unit)
          + " to be ready", Duration.ofSeconds(10));
    }
    return Outcome.done(status);
  }

  private void createOnce(UnitContext context, String secretName, java.util.function.Supplier<Secret> render) {
    GeneratedSecrets.createOnce(client, context.secrets().find(context.unit().getMetadata().getNamespace(), secretName), render);
  }

  @Override
  public void unitDeleted(String unitKey) {
    objects.forget(owner(unitKey));
  }

  private static String owner(String unitKey) {
    return unitKey + " postgres";
  }
}

package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.CredentialsRef;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.PoolerSpec;
import dev.databaseunit.operator.api.v1alpha1.PostgresTls;
import dev.databaseunit.operator.api.v1alpha1.SecretKeyRef;
import dev.databaseunit.operator.databaseunit.UnitContext;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.pool.AdminEndpoint;
import dev.databaseunit.operator.pool.PgBouncerResources;
import dev.databaseunit.operator.pool.PoolerPods;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.postgres.PostgresTargets;
import dev.databaseunit.operator.postgres.UnitDataSources;
import dev.databaseunit.operator.schema.MigrationScripts;
import dev.databaseunit.operator.schema.UnitMigrations;
import dev.databaseunit.operator.vector.AutoRebuild;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * Everything a run needs to reach one unit: its database directly (tasks run there while PgBouncer holds the
 * clients), the PgBouncer that is the drain point, and the unit's migrations.
 *
 * @param pooler the unit's database as clients see it, through PgBouncer (for the canary query)
 */
record UnitAccess(PostgresTarget target, DataSource direct, PostgresTarget pooler, DrainPoint drainPoint,
    MaintenanceTask.Target taskTarget) {

  static UnitAccess resolve(KubernetesClient client, PostgresTargets.SecretLookup secrets, DatabaseUnit unit,
      UnitDataSources dataSources, DrainPoints drainPoints) throws RunFailure {
    String namespace = unit.getMetadata().getNamespace();
    String unitKey = UnitContext.keyOf(unit);
    PostgresTarget target;
    try {
      target = PostgresTargets.resolve(unit, secrets);
    } catch (UnitProblem p) {
      throw new RunFailure(EventReason.MaintenancePrecheckFailed, "cannot reach the unit's database: " + p.getMessage(), p);
    }
    PoolerSpec pooler = unit.getSpec().pooler();
    if (pooler == null || Boolean.FALSE.equals(pooler.enabled())) {
      // Maintenance without a drain would fail every client transaction in flight: refuse instead.
      throw new RunFailure(EventReason.MaintenancePrecheckFailed,
          "unit " + unitKey + " has no PgBouncer to drain through: enable spec.pooler");
    }
    AdminEndpoint console = pooler.external() != null
        ? externalConsole(namespace, pooler.external(), secrets)
        : managedConsole(unit, pooler, secrets);
    // An external PgBouncer is one console; a managed one is a console per pod, each of which must be drained.
    DrainPoint drainPoint = pooler.external() != null
        ? drainPoints.forConsole(console)
        : new ReplicatedDrainPoint(which -> podConsoles(client, unit, console, which), drainPoints);
    // Through PgBouncer a client meets PgBouncer's certificate, not the database's: a managed pooler's own CA.
    var throughPooler = console.tls() != null && console.tls().caCertificatePem() != null
        ? new PostgresTarget(console.host(), console.port(), target.database(), target.username(), target.password(),
            PostgresTls.Mode.VERIFY_FULL, console.tls().caCertificatePem())
        : new PostgresTarget(console.host(), console.port(), target.database(), target.username(), target.password(),
            target.sslMode(), target.caCertificatePem());
    String schema = UnitMigrations.schemaOf(unit);
    DataSource direct;
    try {
      direct = dev.databaseunit.operator.postgres.TimedDataSource.forPurpose(dataSources.dataSource(unitKey, target),
          dev.databaseunit.operator.postgres.DatabaseTimeouts.Purpose.MAINTENANCE);
    } catch (UnitProblem p) {
      throw new RunFailure(EventReason.MaintenancePrecheckFailed, "cannot reach the unit's database: " + p.getMessage(), p);
    }
    return new UnitAccess(target, direct, throughPooler,
        drainPoint,
        new MaintenanceTask.Target(unitKey, direct, schema, migrations(client, unit),
            AutoRebuild.effective(unit.getSpec().vectorIndexes(), unit.getStatus() != null ? unit.getStatus().vectorIndexes() : null)));
  }

  /** The unit's checked migration scripts, read as the schema capability reads them. */
  private static SortedMap<String, MigrationScripts.Script> migrations(KubernetesClient client, DatabaseUnit unit) throws RunFailure {
    try {
      return UnitMigrations.read(unit, (ns, name) -> Optional.ofNullable(client.configMaps().inNamespace(ns).withName(name).get()))
          .map(UnitMigrations::scripts)
          .orElse(new TreeMap<>());
    } catch (UnitProblem p) {
      throw new RunFailure(EventReason.MaintenancePrecheckFailed, "migrations: " + p.getMessage(), p);
    }
  }

  private static AdminEndpoint externalConsole(String namespace, PoolerSpec.ExternalPooler external,
      PostgresTargets.SecretLookup secrets) throws RunFailure {
    CredentialsRef admin = external.adminCredentials();
    try {
      return new AdminEndpoint(external.host(), external.port() != null ? external.port() : PgBouncerResources.PORT,
          PostgresTargets.value(secrets, namespace, new SecretKeyRef(admin.secretName(), admin.usernameKeyOrDefault())),
          PostgresTargets.value(secrets, namespace, new SecretKeyRef(admin.secretName(), admin.passwordKeyOrDefault())));
    } catch (UnitProblem p) {
      throw new RunFailure(EventReason.MaintenancePrecheckFailed, "PgBouncer admin credentials: " + p.getMessage(), p);
    }
  }

  /**
   * The managed PgBouncer's pods, from its Service's EndpointSlices (listed once per command of a run, not per
   * reconcile), each reached at its own address with the Service's name for TLS.
   */
  private static List<AdminEndpoint> podConsoles(KubernetesClient client, DatabaseUnit unit, AdminEndpoint service,
      PoolerPods.Which which) throws IOException {
    List<EndpointSlice> slices;
    try {
      slices = client.resources(EndpointSlice.class).inNamespace(unit.getMetadata().getNamespace())
          .withLabel(PoolerPods.SERVICE_NAME_LABEL, PgBouncerResources.name(unit)).list().getItems();
    } catch (KubernetesClientException e) {
      throw new IOException("cannot list the pooler's EndpointSlices: " + e.getMessage(), e);
    }
    return PoolerPods.of(slices, which).stream().map(pod -> service.at(pod.address(), pod.port())).toList();
  }

  /** The operator-run PgBouncer: its Service and the admin password the pooler capability generated. */
  private static AdminEndpoint managedConsole(DatabaseUnit unit, PoolerSpec pooler, PostgresTargets.SecretLookup secrets)
      throws RunFailure {
    try {
      String password = PostgresTargets.value(secrets, unit.getMetadata().getNamespace(),
          new SecretKeyRef(PgBouncerResources.authSecretName(unit), PgBouncerResources.ADMIN_PASSWORD_KEY));
      return PgBouncerResources.adminEndpoint(unit, pooler, password, secrets);
    } catch (UnitProblem p) {
      throw new RunFailure(EventReason.MaintenancePrecheckFailed, "the managed PgBouncer is not set up yet: " + p.getMessage(), p);
    }
  }
}

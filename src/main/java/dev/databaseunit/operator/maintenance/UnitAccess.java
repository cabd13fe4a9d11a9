package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.CredentialsRef;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.PoolerSpec;
import dev.databaseunit.operator.databaseunit.UnitContext;
import dev.databaseunit.operator.databaseunit.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.postgres.PostgresTargets;
import dev.databaseunit.operator.postgres.UnitDataSources;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
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

  static UnitAccess resolve(KubernetesClient client, DatabaseUnit unit, UnitDataSources dataSources, DrainPoints drainPoints)
      throws RunFailure {
    String namespace = unit.getMetadata().getNamespace();
    String unitKey = UnitContext.keyOf(unit);
    PostgresTargets.SecretLookup secrets = (ns, name) -> Optional.ofNullable(client.secrets().inNamespace(ns).withName(name).get());
    PostgresTarget target;
    try {
      target = PostgresTargets.resolve(unit, secrets);
    } catch (UnitProblem p) {
      throw new RunFailure(EventReason.MaintenancePrecheckFailed, "cannot reach the unit's database: " + p.getMessage(), p);
    }
    PoolerSpec pooler = unit.getSpec().pooler();
    if (pooler == null || Boolean.FALSE.equals(pooler.enabled()) || pooler.external() == null) {
      // The managed PgBouncer's console credentials come with the pooler capability; until then only an external
      // PgBouncer can be drained, and maintenance without a drain would fail every client in flight.
      throw new RunFailure(EventReason.MaintenancePrecheckFailed,
          "unit " + unitKey + " has no PgBouncer to drain through: set spec.pooler.external with admin credentials");
    }
    var external = pooler.external();
    CredentialsRef admin = external.adminCredentials();
    String adminUser = secretValue(secrets, namespace, admin.secretName(), admin.usernameKey() != null ? admin.usernameKey() : "username");
    String adminPassword = secretValue(secrets, namespace, admin.secretName(), admin.passwordKey() != null ? admin.passwordKey() : "password");
    int port = external.port() != null ? external.port() : 6432;
    var throughPooler = new PostgresTarget(external.host(), port, target.database(), target.username(), target.password(),
        target.sslMode(), target.caCertificatePem());
    String schema = unit.getSpec().migrations() != null && unit.getSpec().migrations().schema() != null
        ? unit.getSpec().migrations().schema() : "public";
    DataSource direct = dataSources.dataSource(unitKey, target);
    return new UnitAccess(target, direct, throughPooler,
        drainPoints.forConsole(external.host(), port, adminUser, adminPassword),
        new MaintenanceTask.Target(unitKey, direct, schema, migrations(client, unit)));
  }

  /** The migration files of the unit's ConfigMaps, by file name. */
  private static Map<String, String> migrations(KubernetesClient client, DatabaseUnit unit) throws RunFailure {
    Map<String, String> files = new TreeMap<>();
    if (unit.getSpec().migrations() == null || unit.getSpec().migrations().configMaps() == null) {
      return files;
    }
    for (String name : unit.getSpec().migrations().configMaps()) {
      ConfigMap map = client.configMaps().inNamespace(unit.getMetadata().getNamespace()).withName(name).get();
      if (map == null) {
        throw new RunFailure(EventReason.MaintenancePrecheckFailed, "migrations ConfigMap " + name + " does not exist");
      }
      if (map.getData() != null) {
        files.putAll(map.getData());
      }
    }
    return files;
  }

  private static String secretValue(PostgresTargets.SecretLookup secrets, String namespace, String secretName, String key)
      throws RunFailure {
    Secret secret = secrets.find(namespace, secretName).orElseThrow(() -> new RunFailure(EventReason.MaintenancePrecheckFailed,
        "PgBouncer admin Secret " + namespace + "/" + secretName + " does not exist"));
    if (secret.getData() != null && secret.getData().containsKey(key)) {
      return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
    }
    if (secret.getStringData() != null && secret.getStringData().containsKey(key)) {
      return secret.getStringData().get(key);
    }
    throw new RunFailure(EventReason.MaintenancePrecheckFailed, "PgBouncer admin Secret " + namespace + "/" + secretName + " has no key " + key);
  }
}

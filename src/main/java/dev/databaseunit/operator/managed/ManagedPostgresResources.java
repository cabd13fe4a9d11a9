package dev.databaseunit.operator.managed;

import dev.databaseunit.operator.api.v1alpha1.CredentialsRef;
import dev.databaseunit.operator.common.OwnedObjects;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.ManagedPostgres;
import dev.databaseunit.operator.postgres.PostgresTargets;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The objects of a managed PostgreSQL instance, rendered from the unit: a single-instance StatefulSet with a
 * data volume, a Service, the Secrets of its three roles and the TLS Secret. Pure functions of the unit (the Secrets
 * draw random passwords and keys, so they are created once and never re-rendered). The roles: the superuser, which
 * only the start script uses (over the pod's local socket); the operator's role, which owns the database and its
 * schema; the application's role, which {@code <unit>-connection} carries (see postgres-start.sh and docs/security.md).
 */
public final class ManagedPostgresResources {
  static final String COMPONENT = "postgres";
  static final long POSTGRES_UID = 999;
  static final int PORT = PostgresTargets.MANAGED_PORT;
  static final String OPERATOR_ROLE = "databaseunit_operator";
  static final String APPLICATION_ROLE = "app";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String SOCKET_DIR = "/var/run/postgresql";
  /**
   * The container's command ({@code sh -c START_SCRIPT postgres <settings>}), from postgres-start.sh without its
   * comment lines: initialises an empty PGDATA (TLS-only pg_hba.conf, the database), then runs postgres. It needs
   * only what the upstream pgvector/postgres images and the locally built one share (docs/managed-images.md).
   */
  static final String START_SCRIPT = startScript();

  private ManagedPostgresResources() {}

  public static String name(DatabaseUnit unit) {
    return unit.getMetadata().getName() + "-postgres";
  }

  public static Secret superuserSecret(DatabaseUnit unit) {
    return credentials(unit, PostgresTargets.managedSuperuserSecret(unit.getMetadata().getName()), "postgres");
  }

  /** The operator's role: owner of the database, its schema and what the capabilities create; never a superuser. */
  public static Secret operatorSecret(DatabaseUnit unit) {
    return credentials(unit, PostgresTargets.managedOperatorSecret(unit.getMetadata().getName()), OPERATOR_ROLE);
  }

  /** The application's role: LOGIN and DML on the operator's tables, nothing more (carried by {@code <unit>-connection}). */
  public static Secret applicationSecret(DatabaseUnit unit) {
    return credentials(unit, PostgresTargets.managedApplicationSecret(unit.getMetadata().getName()), APPLICATION_ROLE);
  }

  private static Secret credentials(DatabaseUnit unit, String secretName, String username) {
    byte[] password = new byte[24];
    RANDOM.nextBytes(password);
    return new SecretBuilder()
        .withMetadata(OwnedObjects.metadata(unit, secretName, COMPONENT))
        .withStringData(Map.of(CredentialsRef.USERNAME, username,
            CredentialsRef.PASSWORD, Base64.getUrlEncoder().withoutPadding().encodeToString(password)))
        .build();
  }

  /** A CA and a server certificate for the Service's DNS names (see {@link ServerCertificates#tlsSecret}). */
  public static Secret tlsSecret(DatabaseUnit unit, Instant now) {
    String service = name(unit);
    String namespace = unit.getMetadata().getNamespace();
    String host = PostgresTargets.managedServiceHost(unit.getMetadata().getName(), namespace);
    return ServerCertificates.tlsSecret(OwnedObjects.metadata(unit, PostgresTargets.managedTlsSecret(unit.getMetadata().getName()), COMPONENT),
        List.of(service, service + "." + namespace, host, host + ".cluster.local"), now);
  }

  public static Service service(DatabaseUnit unit) {
    return new ServiceBuilder().withMetadata(OwnedObjects.metadata(unit, name(unit), COMPONENT))
        .withNewSpec().withSelector(selector(unit))
        .addNewPort().withName("postgres").withPort(PORT).withTargetPort(new IntOrString("postgres")).endPort()
        .endSpec().build();
  }

  public static StatefulSet statefulSet(DatabaseUnit unit) {
    ManagedPostgres managed = unit.getSpec().postgres().managed();
    String unitName = unit.getMetadata().getName();
    var statefulSet = new StatefulSetBuilder().withMetadata(OwnedObjects.metadata(unit, name(unit), COMPONENT))
        .withNewSpec().withReplicas(1).withServiceName(name(unit))
        .withNewSelector().withMatchLabels(selector(unit)).endSelector()
        .withNewTemplate().withNewMetadata().withLabels(selector(unit)).endMetadata()
        .withNewSpec()
        .addNewContainer().withName("postgres").withImage(orDefault(managed.image(), "pgvector/pgvector:0.8.0-pg17"))
        // Our own start script, not the image's entrypoint (see START_SCRIPT); the arguments are postgres settings:
        // TLS only from 1.2 up, and pg_stat_statements for the query latency metrics.
        .withCommand("sh", "-c", START_SCRIPT, "postgres")
        .withArgs("-c", "listen_addresses=*", "-c", "unix_socket_directories=" + SOCKET_DIR,
            "-c", "ssl=on", "-c", "ssl_cert_file=/tls/tls.crt", "-c", "ssl_key_file=/tls/tls.key",
            "-c", "ssl_ca_file=/tls/ca.crt", "-c", "ssl_min_protocol_version=TLSv1.2",
            "-c", "shared_preload_libraries=pg_stat_statements")
        .addAllToEnv(credentialsEnv("POSTGRES", PostgresTargets.managedSuperuserSecret(unitName)))
        .addAllToEnv(credentialsEnv("OPERATOR", PostgresTargets.managedOperatorSecret(unitName)))
        .addAllToEnv(credentialsEnv("APP", PostgresTargets.managedApplicationSecret(unitName)))
        .addNewEnv().withName("POSTGRES_DB").withValue(managed.database()).endEnv()
        .addNewEnv().withName("PGDATA").withValue("/var/lib/postgresql/data/pgdata").endEnv()
        .addNewPort().withName("postgres").withContainerPort(PORT).endPort()
        // pg_isready on the local socket: no password, no TLS, and not the first start's private server.
        .withNewStartupProbe().withNewExec().withCommand(isReady()).endExec()
        .withPeriodSeconds(5).withFailureThreshold(120).endStartupProbe()
        .withNewReadinessProbe().withNewExec().withCommand(isReady()).endExec().withPeriodSeconds(5).endReadinessProbe()
        .withNewLivenessProbe().withNewTcpSocket().withPort(new IntOrString("postgres")).endTcpSocket()
        .withPeriodSeconds(10).withFailureThreshold(6).endLivenessProbe()
        .withNewResources()
        .addToRequests("cpu", new Quantity("250m")).addToRequests("memory", new Quantity("512Mi"))
        .addToLimits("memory", new Quantity("2Gi"))
        .endResources()
        .addNewVolumeMount().withName("data").withMountPath("/var/lib/postgresql/data").endVolumeMount()
        .addNewVolumeMount().withName("tls").withMountPath("/tls").withReadOnly(true).endVolumeMount()
        .addNewVolumeMount().withName("run").withMountPath(SOCKET_DIR).endVolumeMount()
        .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
        .endContainer()
        // PostgreSQL accepts a key owned by root when only its group (fsGroup) can read it: mode 0640.
        .addNewVolume().withName("tls").withNewSecret().withSecretName(PostgresTargets.managedTlsSecret(unitName))
        .withDefaultMode(0640).endSecret().endVolume()
        .addNewVolume().withName("run").withNewEmptyDir().endEmptyDir().endVolume()
        // In memory: the first start passes the superuser password to initdb as a file here.
        .addNewVolume().withName("tmp").withNewEmptyDir().withMedium("Memory").withSizeLimit(new Quantity("64Mi")).endEmptyDir().endVolume()
        .endSpec().endTemplate()
        .addNewVolumeClaimTemplate().withNewMetadata().withName("data").endMetadata()
        .withNewSpec().withAccessModes("ReadWriteOnce").withStorageClassName(managed.storageClassName())
        .withNewResources().addToRequests("storage", new Quantity(orDefault(managed.storageSize(), "10Gi"))).endResources()
        .endSpec().endVolumeClaimTemplate()
        .endSpec().build();
    RestrictedPodSecurity.apply(statefulSet.getSpec().getTemplate().getSpec(), POSTGRES_UID);
    return statefulSet;
  }

  /** {@code <prefix>_USER} and {@code <prefix>_PASSWORD} from a role's Secret. */
  private static List<EnvVar> credentialsEnv(String prefix, String secretName) {
    return List.of(
        new EnvVarBuilder().withName(prefix + "_USER").withNewValueFrom().withNewSecretKeyRef(CredentialsRef.USERNAME, secretName, false)
            .endValueFrom().build(),
        new EnvVarBuilder().withName(prefix + "_PASSWORD").withNewValueFrom().withNewSecretKeyRef(CredentialsRef.PASSWORD, secretName, false)
            .endValueFrom().build());
  }

  private static List<String> isReady() {
    return List.of("pg_isready", "-q", "-h", SOCKET_DIR, "-p", Integer.toString(PORT));
  }

  private static String startScript() {
    try (var in = ManagedPostgresResources.class.getResourceAsStream("postgres-start.sh")) {
      String script = new String(java.util.Objects.requireNonNull(in, "postgres-start.sh").readAllBytes(),
          java.nio.charset.StandardCharsets.UTF_8);
      String body = script.lines().filter(line -> !line.startsWith("#")).collect(java.util.stream.Collectors.joining("\n", "", "\n"));
      // The kubelet reads "$(NAME)" in a command as a variable reference and "$$" as an escaped "$" (so DO $$ … $$
      // reached psql as DO $ … $): a "$" before "$" or "(" is doubled, and the kubelet hands the shell the script as written.
      return body.replaceAll("\\$(?=[$(])", "\\$\\$");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Map<String, String> selector(DatabaseUnit unit) {
    return Map.of("app.kubernetes.io/name", COMPONENT, "app.kubernetes.io/instance", unit.getMetadata().getName());
  }

  private static String orDefault(String value, String fallback) {
    return value != null ? value : fallback;
  }
}

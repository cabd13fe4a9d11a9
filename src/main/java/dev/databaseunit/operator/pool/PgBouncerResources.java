package dev.databaseunit.operator.pool;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.PoolerSpec;
import dev.databaseunit.operator.common.OwnedObjects;
import dev.databaseunit.operator.managed.RestrictedPodSecurity;
import dev.databaseunit.operator.managed.ServerCertificates;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.postgres.PostgresTargets;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The Kubernetes objects of a managed pooler, as a pure function of the unit, its database target and the admin
 * password: a ConfigMap with pgbouncer.ini (default_pool_size = the initial size; the loop changes the size live),
 * a Secret with the userlist (the operator's and the application's database users, and the console's admin user) and the
 * server CA, a Deployment and a
 * Service. All are owned by the unit, so Kubernetes deletes them with it. The Deployment carries a hash of the
 * ini and the Secret, so a change rolls the pods; the loop then re-applies the live size. The pod meets the
 * restricted Pod Security Standard: the ini turns off everything PgBouncer would write to disk (no unix socket,
 * no pidfile, no logfile: logs go to stderr), so a read-only root filesystem needs no writable volume.
 *
 * <p>Availability: from two replicas a PodDisruptionBudget lets a drain take one pod at a time, and the pods prefer
 * different nodes. A rollout (a config change) starts a new pod before it stops an old one. A pod that stops first
 * leaves the Service's endpoints (the preStop sleep), then PgBouncer shuts down safely: the transactions under way
 * finish, idle clients reconnect through the Service to another pod.
 */
public final class PgBouncerResources {
  public static final int PORT = 6432;
  public static final String ADMIN_USER = "databaseunit_admin";
  public static final String ADMIN_PASSWORD_KEY = "admin-password";
  private static final String CONFIG_DIR = "/etc/pgbouncer/config";
  private static final String AUTH_DIR = "/etc/pgbouncer/auth";
  private static final String TLS_DIR = "/etc/pgbouncer/tls";
  private static final String COMPONENT = "pgbouncer";
  private static final String DEFAULT_IMAGE = "ghcr.io/cloudnative-pg/pgbouncer:1.24.1";
  /** The pgbouncer user of the CloudNativePG image; its USER is a name, so the kubelet needs the number to check non-root. */
  private static final long PGBOUNCER_UID = 998;
  /** Long enough for kube-proxy and the other nodes to drop the pod from the Service before PgBouncer stops listening. */
  static final int PRE_STOP_SECONDS = 5;
  /** The preStop sleep plus a minute for the transactions under way to finish; then the kubelet kills PgBouncer. */
  static final long TERMINATION_GRACE_SECONDS = PRE_STOP_SECONDS + 60;
  /**
   * The container's command, before the PgBouncer command line ({@code "$@"}): sh turns the kubelet's SIGTERM into
   * SIGINT, PgBouncer's safe shutdown (the transactions under way finish, then it exits). PgBouncer's own
   * SIGTERM is an immediate shutdown before 1.23 and from 1.23 waits until every client has disconnected, which an
   * application's connection pool never does: the kubelet would kill it at the end of the grace period. {@code wait}
   * returns early when the trap runs, so sh waits again until PgBouncer has exited, and exits with its status.
   */
  static final String SHUTDOWN_WRAPPER = """
      "$@" &
      child=$!
      trap 'kill -INT "$child" 2>/dev/null' TERM
      while :; do
        wait "$child"
        status=$?
        kill -0 "$child" 2>/dev/null || exit "$status"
      done
      """;

  /**
   * @param disruptionBudget null below two replicas: one pod unavailable is then the whole pooler, so a budget would
   *     protect nothing (and a stricter one would block every drain of the node)
   */
  public record Desired(ConfigMap config, Secret auth, PodDisruptionBudget disruptionBudget, Deployment deployment,
      Service service) {
    /** In the order they are applied: the budget before the pods it protects, the Service last. */
    public List<HasMetadata> all() {
      return Stream.<HasMetadata>of(config, auth, disruptionBudget, deployment, service).filter(java.util.Objects::nonNull).toList();
    }
  }

  /**
   * The client-side TLS of a managed pooler: the Secret mounted into the pod and its certificate as stored (hashed
   * into the pod template, so a renewed certificate rolls the pods).
   */
  public record ClientTls(PoolerSpec.ClientTlsMode mode, String secretName, String certificate) {}

  private PgBouncerResources() {}

  public static String name(DatabaseUnit unit) {
    return unit.getMetadata().getName() + "-pooler";
  }

  public static String authSecretName(DatabaseUnit unit) {
    return name(unit) + "-auth";
  }

  public static String serviceHost(DatabaseUnit unit) {
    return name(unit) + "." + unit.getMetadata().getNamespace() + ".svc";
  }

  public static PoolerSpec.ClientTlsMode clientTlsMode(PoolerSpec spec) {
    var tls = spec.managed() != null ? spec.managed().clientTls() : null;
    return tls != null && tls.mode() != null ? tls.mode() : PoolerSpec.ClientTlsMode.REQUIRE;
  }

  /** The Secret with the pooler's client-side certificate: the one the spec names, else the one the operator issues. */
  public static String clientTlsSecretName(DatabaseUnit unit, PoolerSpec spec) {
    var tls = spec.managed() != null ? spec.managed().clientTls() : null;
    return tls != null && tls.secretName() != null ? tls.secretName() : issuedTlsSecretName(unit);
  }

  /**
   * The managed pooler's admin console: its Service, the generated admin password, and TLS trusting the CA in the
   * certificate's Secret (the JVM's CAs when it has no ca.crt) unless client TLS is disabled.
   */
  public static AdminEndpoint adminEndpoint(DatabaseUnit unit, PoolerSpec spec, String adminPassword,
      PostgresTargets.SecretLookup secrets) {
    AdminEndpoint.Tls tls = clientTlsMode(spec) == PoolerSpec.ClientTlsMode.DISABLE ? null
        : new AdminEndpoint.Tls(clientCaCertificate(unit, spec, secrets).orElse(null));
    return new AdminEndpoint(serviceHost(unit), PORT, ADMIN_USER, adminPassword, tls);
  }

  /** The CA (PEM) in the Secret of the pooler's client-side certificate, when it has one. */
  public static Optional<String> clientCaCertificate(DatabaseUnit unit, PoolerSpec spec, PostgresTargets.SecretLookup secrets) {
    return secrets.find(unit.getMetadata().getNamespace(), clientTlsSecretName(unit, spec))
        .map(secret -> secret.getData() != null ? secret.getData().get("ca.crt") : null)
        .map(b64 -> new String(java.util.Base64.getDecoder().decode(b64), StandardCharsets.US_ASCII));
  }

  /** The Secret of the certificate the operator issues when clientTls names none. */
  public static String issuedTlsSecretName(DatabaseUnit unit) {
    return name(unit) + "-tls";
  }

  /** A private CA and a certificate for the Service's DNS names (see {@link ServerCertificates#tlsSecret}). */
  public static Secret issuedTlsSecret(DatabaseUnit unit, Instant now) {
    String name = name(unit);
    return ServerCertificates.tlsSecret(meta(unit, issuedTlsSecretName(unit), Map.of()),
        List.of(name, name + "." + unit.getMetadata().getNamespace(), serviceHost(unit), serviceHost(unit) + ".cluster.local"), now);
  }

  /**
   * @param target the operator's login (the server, and the user its checks through the pooler use)
   * @param application the applications' login ({@code <unit>-connection}); the same as {@code target} for an
   *     external database
   * @throws IllegalArgumentException when a value cannot be rendered safely (the message names the field)
   */
  public static Desired desired(DatabaseUnit unit, PoolerSpec spec, PostgresTarget target, PostgresTarget application,
      String adminPassword, ClientTls tls) {
    String name = name(unit);
    Map<String, String> server = new LinkedHashMap<>();
    server.put("host", PgBouncerIni.requireHost(target.host()));
    server.put("port", Integer.toString(target.port()));
    server.put("dbname", target.database());
    Map<String, String> settings = PgBouncerIni.section();
    settings.put("listen_addr", "0.0.0.0");
    settings.put("listen_port", Integer.toString(PORT));
    settings.put("unix_socket_dir", "");
    settings.put("auth_type", "scram-sha-256");
    settings.put("auth_file", AUTH_DIR + "/userlist.txt");
    settings.put("admin_users", ADMIN_USER);
    settings.put("stats_users", ADMIN_USER);
    settings.put("pool_mode", spec.poolMode() != null ? spec.poolMode().name().toLowerCase(java.util.Locale.ROOT) : "transaction");
    PoolSettings sizing = PoolSettings.from(spec);
    settings.put("default_pool_size", Integer.toString(sizing.initialSize()));
    settings.put("server_idle_timeout", sizing.serverIdleTimeoutSetting());
    settings.put("max_client_conn", Integer.toString(spec.maxClientConnections() != null ? spec.maxClientConnections() : 1000));
    settings.put("ignore_startup_parameters", "extra_float_digits,options");
    settings.put("server_tls_sslmode", target.sslMode().libpqName());
    settings.put("server_tls_protocols", "secure"); // TLS 1.2 and 1.3
    if (target.caCertificatePem() != null) {
      settings.put("server_tls_ca_file", AUTH_DIR + "/ca.crt");
    }
    boolean clientTls = tls != null && tls.mode() != PoolerSpec.ClientTlsMode.DISABLE;
    settings.put("client_tls_sslmode", clientTls ? tls.mode().name().toLowerCase(java.util.Locale.ROOT) : "disable");
    if (clientTls) {
      settings.put("client_tls_cert_file", TLS_DIR + "/tls.crt");
      settings.put("client_tls_key_file", TLS_DIR + "/tls.key");
      settings.put("client_tls_protocols", "secure");
    }
    String ini = PgBouncerIni.render(Map.of(target.database(), server), settings);
    // PgBouncer logs in to the server as the client's user, with the password it holds for that user here.
    String userlist = PgBouncerIni.userlistLine(target.username(), target.password())
        + (application.username().equals(target.username()) ? ""
            : PgBouncerIni.userlistLine(application.username(), application.password()))
        + PgBouncerIni.userlistLine(ADMIN_USER, adminPassword);

    // The Deployment's selector is immutable: these labels stay as they were first released.
    Map<String, String> labels = Map.of("app.kubernetes.io/name", COMPONENT, "app.kubernetes.io/instance", name,
        "app.kubernetes.io/managed-by", OwnedObjects.MANAGED_BY);
    var config = new ConfigMapBuilder().withMetadata(meta(unit, name, labels)).addToData("pgbouncer.ini", ini).build();
    var authData = new LinkedHashMap<String, String>();
    authData.put("userlist.txt", userlist);
    authData.put("admin-username", ADMIN_USER);
    authData.put(ADMIN_PASSWORD_KEY, adminPassword);
    if (target.caCertificatePem() != null) {
      authData.put("ca.crt", target.caCertificatePem());
    }
    var auth = new SecretBuilder().withMetadata(meta(unit, authSecretName(unit), labels)).withType("Opaque")
        .withStringData(authData).build();
    var managed = spec.managed() != null ? spec.managed() : new PoolerSpec.ManagedPooler(PoolerSpec.ManagedPooler.DEFAULT_REPLICAS, null, null);
    String podHash = sha256(ini + "\0" + userlist + (clientTls ? "\0" + tls.certificate() : ""));
    int replicas = managed.replicas() != null ? managed.replicas() : PoolerSpec.ManagedPooler.DEFAULT_REPLICAS;
    var deployment = new DeploymentBuilder().withMetadata(meta(unit, name, labels))
        .withNewSpec()
          .withReplicas(replicas)
          .withNewSelector().withMatchLabels(labels).endSelector()
          // A rollout never has fewer ready pods than replicas: the new pod is ready before an old one stops.
          .withNewStrategy().withType("RollingUpdate")
            .withNewRollingUpdate().withMaxUnavailable(new IntOrString(0)).withMaxSurge(new IntOrString(1)).endRollingUpdate()
          .endStrategy()
          .withNewTemplate()
            .withNewMetadata().withLabels(labels)
              .addToAnnotations("databaseunit.dev/config-hash", podHash).endMetadata()
            .withNewSpec()
              .withTerminationGracePeriodSeconds(TERMINATION_GRACE_SECONDS)
              // Preferred, not required: a single-node cluster still runs every replica.
              .withNewAffinity().withNewPodAntiAffinity().addNewPreferredDuringSchedulingIgnoredDuringExecution()
                .withWeight(100).withNewPodAffinityTerm().withTopologyKey("kubernetes.io/hostname")
                  .withNewLabelSelector().withMatchLabels(labels).endLabelSelector().endPodAffinityTerm()
              .endPreferredDuringSchedulingIgnoredDuringExecution().endPodAntiAffinity().endAffinity()
              .addNewContainer()
                .withName("pgbouncer")
                .withImage(managed.image() != null ? managed.image() : DEFAULT_IMAGE)
                // The image's entrypoint script ignores arguments and reads the empty /etc/pgbouncer/pgbouncer.ini.
                .withCommand("/bin/sh", "-c", SHUTDOWN_WRAPPER, "pgbouncer", "/usr/bin/pgbouncer")
                .withArgs(CONFIG_DIR + "/pgbouncer.ini")
                .withNewLifecycle().withNewPreStop().withNewExec().withCommand("/bin/sleep", Integer.toString(PRE_STOP_SECONDS))
                  .endExec().endPreStop().endLifecycle()
                .addNewPort().withName("pgbouncer").withContainerPort(PORT).endPort()
                .withNewReadinessProbe().withNewTcpSocket().withPort(new IntOrString(PORT)).endTcpSocket()
                  .withPeriodSeconds(5).endReadinessProbe()
                .addNewVolumeMount().withName("config").withMountPath(CONFIG_DIR).withReadOnly(true).endVolumeMount()
                .addNewVolumeMount().withName("auth").withMountPath(AUTH_DIR).withReadOnly(true).endVolumeMount()
              .endContainer()
              .addNewVolume().withName("config").withNewConfigMap().withName(name).endConfigMap().endVolume()
              // Owner root, mode 0400 plus group read for the pod's fsGroup: only the pgbouncer user can read it.
              .addNewVolume().withName("auth").withNewSecret().withSecretName(authSecretName(unit))
                .withDefaultMode(0400).endSecret().endVolume()
            .endSpec()
          .endTemplate()
        .endSpec().build();
    if (clientTls) {
      var pod = deployment.getSpec().getTemplate().getSpec();
      pod.getContainers().getFirst().getVolumeMounts().add(new VolumeMountBuilder().withName("tls").withMountPath(TLS_DIR)
          .withReadOnly(true).build());
      pod.getVolumes().add(new VolumeBuilder().withName("tls").withNewSecret().withSecretName(tls.secretName())
          .withDefaultMode(0400).endSecret().build());
    }
    RestrictedPodSecurity.apply(deployment.getSpec().getTemplate().getSpec(), PGBOUNCER_UID);
    var service = new ServiceBuilder().withMetadata(meta(unit, name, labels))
        .withNewSpec().withSelector(labels)
          .addNewPort().withName("pgbouncer").withPort(PORT).withTargetPort(new IntOrString(PORT)).endPort()
        .endSpec().build();
    // AlwaysAllow: a pod that is not ready (a crash loop, an unreachable database) never blocks a node's drain.
    var budget = replicas < 2 ? null : new PodDisruptionBudgetBuilder().withMetadata(meta(unit, name, labels))
        .withNewSpec().withMaxUnavailable(new IntOrString(1)).withNewSelector().withMatchLabels(labels).endSelector()
          .withUnhealthyPodEvictionPolicy("AlwaysAllow").endSpec().build();
    return new Desired(config, auth, budget, deployment, service);
  }

  private static ObjectMeta meta(DatabaseUnit unit, String name, Map<String, String> labels) {
    var meta = OwnedObjects.metadata(unit, name, COMPONENT);
    meta.getLabels().putAll(labels);
    return meta;
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

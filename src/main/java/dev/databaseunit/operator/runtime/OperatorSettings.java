package dev.databaseunit.operator.runtime;

import dev.databaseunit.operator.common.EgressPolicy;
import dev.databaseunit.operator.postgres.DatabaseTimeouts;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How the operator process runs, read from its environment (the Helm chart sets these).
 *
 * @param watchNamespaces namespaces to reconcile; empty means all namespaces
 * @param leaderElection whether replicas elect a leader through a Lease (on by default)
 * @param leaseNamespace namespace of the Lease; the client's namespace when null
 * @param managementPort port of /healthz, /readyz and /metrics
 * @param exitOnLostLeadership end the process when leadership is lost, so Kubernetes restarts it as a follower;
 *     only in-process embeddings (tests, the local stack) turn this off
 * @param leaderIdentity this replica's name in the Lease (the pod name in Kubernetes); must differ per replica
 * @param egress where credentials may be sent (chart values security.*)
 * @param databaseTimeouts the timeouts of every database session, by purpose (chart value databaseTimeouts)
 */
public record OperatorSettings(Set<String> watchNamespaces, boolean leaderElection, String leaseNamespace,
    int managementPort, boolean exitOnLostLeadership, String leaderIdentity, EgressPolicy egress,
    DatabaseTimeouts databaseTimeouts) {
  public static final String LEASE_NAME = "databaseunit-operator";

  /** Settings with a generated leader identity, unique to this instance, and the default egress policy. */
  public OperatorSettings(Set<String> watchNamespaces, boolean leaderElection, String leaseNamespace, int managementPort,
      boolean exitOnLostLeadership) {
    this(watchNamespaces, leaderElection, leaseNamespace, managementPort, exitOnLostLeadership, generatedIdentity(),
        EgressPolicy.DEFAULT, DatabaseTimeouts.DEFAULT);
  }

  public OperatorSettings(Set<String> watchNamespaces, boolean leaderElection, String leaseNamespace, int managementPort,
      boolean exitOnLostLeadership, String leaderIdentity) {
    this(watchNamespaces, leaderElection, leaseNamespace, managementPort, exitOnLostLeadership, leaderIdentity, EgressPolicy.DEFAULT,
        DatabaseTimeouts.DEFAULT);
  }

  public OperatorSettings withEgress(EgressPolicy policy) {
    return new OperatorSettings(watchNamespaces, leaderElection, leaseNamespace, managementPort, exitOnLostLeadership, leaderIdentity,
        policy, databaseTimeouts);
  }

  public OperatorSettings withDatabaseTimeouts(DatabaseTimeouts timeouts) {
    return new OperatorSettings(watchNamespaces, leaderElection, leaseNamespace, managementPort, exitOnLostLeadership, leaderIdentity,
        egress, timeouts);
  }

  private static String generatedIdentity() {
    String host = System.getenv().getOrDefault("HOSTNAME", "databaseunit-operator");
    return host + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
  }

  public static OperatorSettings fromEnvironment(Map<String, String> env) {
    Set<String> namespaces = Set.copyOf(list(env, "WATCH_NAMESPACES"));
    boolean leaderElection = !"false".equalsIgnoreCase(env.getOrDefault("LEADER_ELECTION", "true").trim());
    String leaseNamespace = env.get("OPERATOR_NAMESPACE");
    int port = Integer.parseInt(env.getOrDefault("MANAGEMENT_PORT", "8080").trim());
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("MANAGEMENT_PORT must be 0..65535, was " + port);
    }
    String identity = env.get("POD_NAME");
    var egress = new EgressPolicy("true".equalsIgnoreCase(env.getOrDefault("ALLOW_PLAINTEXT_CREDENTIALS", "false").trim()), true,
        list(env, "ALLOWED_DATABASE_HOSTS"), list(env, "ALLOWED_S3_ENDPOINTS"), list(env, "ALLOWED_SCRATCH_INSTANCES"));
    var settings = identity == null || identity.isBlank()
        ? new OperatorSettings(namespaces, leaderElection, leaseNamespace, port, true)
        : new OperatorSettings(namespaces, leaderElection, leaseNamespace, port, true, identity.trim());
    return settings.withEgress(egress).withDatabaseTimeouts(DatabaseTimeouts.parse(env.get("DATABASE_TIMEOUTS")));
  }

  /** A comma-separated list; empty when unset. */
  private static List<String> list(Map<String, String> env, String name) {
    return Arrays.stream(env.getOrDefault(name, "").split(",")).map(String::trim).filter(s -> !s.isEmpty()).distinct().toList();
  }
}

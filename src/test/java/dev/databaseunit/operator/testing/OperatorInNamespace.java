package dev.databaseunit.operator.testing;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.runtime.DatabaseUnitOperator;
import dev.databaseunit.operator.common.EgressPolicy;
import dev.databaseunit.operator.runtime.OperatorSettings;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The operator running in this JVM against the test API server, watching one fresh namespace, with the small
 * vocabulary DatabaseUnit tests share: apply YAML, create a Secret, read a unit, wait for a condition, list
 * the Events of an object. A test may stop and start the operator again on the same namespace (a restart).
 * Closing it stops the operator and deletes the namespace.
 */
public final class OperatorInNamespace implements AutoCloseable {
  public static final Duration TIMEOUT = Duration.ofSeconds(60);

  private final KubernetesClient client;
  private final String namespace;
  private final Clock clock;
  private final boolean leaderElection;
  private DatabaseUnitOperator operator;
  private final List<AutoCloseable> closeAfterOperator = new ArrayList<>();
  private boolean closed;

  private OperatorInNamespace(KubernetesClient client, String namespace, Clock clock, boolean leaderElection) {
    this.client = client;
    this.namespace = namespace;
    this.clock = clock;
    this.leaderElection = leaderElection;
  }

  /**
   * A fresh namespace with a client of its own; the operator starts with {@link #startOperator}.
   *
   * @param leaderElection with the Lease in the test namespace, the path a real deployment takes
   */
  public static OperatorInNamespace prepare(KubeCluster cluster, String namespacePrefix, Clock clock, boolean leaderElection) {
    var client = cluster.newClient();
    return new OperatorInNamespace(client, cluster.createNamespace(client, namespacePrefix), clock, leaderElection);
  }

  public static OperatorInNamespace start(KubeCluster cluster, String namespacePrefix) {
    return start(cluster, namespacePrefix, new SimpleMeterRegistry());
  }

  /** A fresh namespace with the operator ({@link TestClock}, no leader election) running on it, reporting to the registry. */
  public static OperatorInNamespace start(KubeCluster cluster, String namespacePrefix, MeterRegistry registry) {
    var running = prepare(cluster, namespacePrefix, TestClock.startingNow(), false);
    running.startOperator(registry);
    return running;
  }

  /** The clock the operator runs on, for a second operator process of the same test. */
  public Clock clock() {
    return clock;
  }

  /** Starts an operator on the namespace: the first one, or a new one after {@link #stopOperator}. */
  public synchronized void startOperator(MeterRegistry registry) {
    startOperator(registry, EgressPolicy.DEFAULT);
  }

  /** Starts an operator with the cluster admin's egress rules (chart values security.*). */
  public synchronized void startOperator(MeterRegistry registry, EgressPolicy egress) {
    if (operator != null) {
      throw new IllegalStateException("the operator is already running in " + namespace);
    }
    var settings = new OperatorSettings(Set.of(namespace), leaderElection, namespace, 0, false).withEgress(egress);
    operator = DatabaseUnitOperator.create(client, registry, settings, clock);
    operator.start();
  }

  /** Stops the operator and keeps the namespace and what is in it. Does nothing when none runs. */
  public synchronized void stopOperator() {
    if (operator != null) {
      operator.stop();
      operator = null;
    }
  }

  /**
   * Has {@link #close()} close the resource (a private server, a client) after the operator stops, so the operator
   * never sees it go away, and before the namespace is deleted. Resources close in the reverse order of adding.
   */
  public <T extends AutoCloseable> T closeAfterOperator(T resource) {
    closeAfterOperator.add(resource);
    return resource;
  }

  /** Stops the running operator and starts a new one, reporting to a new registry as a new process would. */
  public void restartOperator(MeterRegistry registry) {
    stopOperator();
    startOperator(registry);
  }

  public KubernetesClient client() {
    return client;
  }

  public String namespace() {
    return namespace;
  }

  /** Creates or replaces every object in the YAML (one or more documents) in the test namespace. */
  public List<HasMetadata> apply(String yaml) {
    var objects = client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items();
    for (HasMetadata object : objects) {
      object.getMetadata().setNamespace(namespace);
      client.resource(object).inNamespace(namespace).forceConflicts().serverSideApply();
    }
    return objects;
  }

  /** The unit YAML, Secrets, conditions and Events of this namespace. */
  public UnitFixtures units() {
    return units(TIMEOUT);
  }

  /** The same, waiting at most {@code timeout} for a condition. */
  public UnitFixtures units(Duration timeout) {
    return new UnitFixtures(client, namespace, timeout);
  }

  public Secret secret(String name, Map<String, String> data) {
    return client.resource(units().secret(name, data)).serverSideApply();
  }

  public DatabaseUnit unit(String name) {
    return units().get(name);
  }

  public Condition awaitCondition(String unit, String type, String status, String reason) {
    return units().awaitCondition(unit, type, status, reason);
  }

  public List<Event> events(String involvedName) {
    return units().events(involvedName);
  }

  public List<String> eventReasons(String involvedName) {
    return units().eventReasons(involvedName);
  }

  /** Idempotent, so a test may stop the operator early (to release its connections) and the fixture again. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopOperator();
    try {
      for (AutoCloseable resource : closeAfterOperator.reversed()) {
        resource.close();
      }
    } catch (Exception e) {
      throw new IllegalStateException("closing a test resource failed", e);
    } finally {
      client.namespaces().withName(namespace).delete();
      client.close();
    }
  }
}

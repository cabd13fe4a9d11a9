package dev.databaseunit.operator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.PoolerReplicaStatus;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.OperatorInNamespace;
import dev.databaseunit.operator.testing.PrivatePgBouncer;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A managed pooler with two replicas, each a real PgBouncer process on loopback. Nothing runs pods on this API
 * server, so the EndpointSlices Kubernetes would keep for the pooler Service are written by hand, one per PgBouncer
 * (each slice has its own port). The loop must size each PgBouncer through its own console and keep the sum of the
 * pool sizes within the budget (maxSize 16) while the load moves from one replica to the other.
 */
@WithLocalServices
class ManagedPoolerReplicasIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final int BUDGET = 16;
  private OperatorInNamespace running;
  private KubernetesClient client;
  private String namespace;
  private PoolerTestUnits units;
  private final List<PrivatePgBouncer> bouncers = new ArrayList<>();

  @BeforeEach
  void start(KubeCluster cluster) {
    running = OperatorInNamespace.start(cluster, "du-pooler-replicas");
    client = running.client();
    namespace = running.namespace();
    units = new PoolerTestUnits(running.units(TIMEOUT));
  }

  @AfterEach
  void stop() {
    bouncers.forEach(PrivatePgBouncer::close);
    running.close();
  }

  @Test
  void eachReplicaIsSizedThroughItsOwnConsoleAndTheSumStaysWithinTheBudget(TestDatabase db) throws Exception {
    units.createDatabaseSecret(db);
    client.resource(units.unit(db, """
        minSize: 2
            initialSize: 10
            maxSize: %d
            sampleInterval: 300ms
            smoothingWindow: 900ms
            cooldown: 1s
            scaleUpCooldown: 600ms
            serverIdleTimeout: 1s
            managed:
              replicas: 2
              clientTls:
                mode: disable""".formatted(BUDGET))).create();
    await().atMost(TIMEOUT).until(() -> client.secrets().inNamespace(namespace).withName("orders-pooler-auth").get() != null);
    String adminPassword = decode(client.secrets().inNamespace(namespace).withName("orders-pooler-auth").get(), "admin-password");
    for (String pod : List.of("orders-pooler-a", "orders-pooler-b")) {
      var bouncer = PrivatePgBouncer.start(10, 200, PgBouncerResources.ADMIN_USER, adminPassword);
      bouncers.add(bouncer);
      client.resource(units.readyPod(pod, PrivatePgBouncer.podAddress(), bouncer.port())).create();
    }

    // Both start at initialSize 10, 20 together: over the budget, so each is held at its share of 16.
    await().atMost(TIMEOUT).untilAsserted(() -> {
      assertThat(replicas()).extracting(PoolerReplicaStatus::name).containsExactly("orders-pooler-a", "orders-pooler-b");
      assertThat(poolSize(bouncers.get(0), db) + poolSize(bouncers.get(1), db)).isLessThanOrEqualTo(BUDGET);
    });
    assertThat(units.get().getStatus().pooler().budget()).isEqualTo(BUDGET);

    var overBudget = new AtomicBoolean();
    var most = new int[1];
    var watcher = Thread.ofPlatform().daemon().start(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        try {
          int sum = poolSize(bouncers.get(0), db) + poolSize(bouncers.get(1), db);
          most[0] = Math.max(most[0], sum);
          overBudget.compareAndSet(false, sum > BUDGET);
          Thread.sleep(50);
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          // a console busy for a moment: the next look counts
        }
      }
    });
    try {
      // Load on replica a only: it grows into what b, idle, gives back.
      try (var load = new LoadGenerator(bouncers.get(0).jdbcUrl(db.name()), db.user(), db.password(), 30)) {
        await().atMost(TIMEOUT).untilAsserted(() -> {
          var a = replica("orders-pooler-a");
          var b = replica("orders-pooler-b");
          assertThat(a.size()).isGreaterThanOrEqualTo(12);
          assertThat(b.size()).isLessThanOrEqualTo(4);
          assertThat(poolSize(bouncers.get(0), db)).isEqualTo(a.size());
          assertThat(poolSize(bouncers.get(1), db)).isEqualTo(b.size());
        });
        assertThat(load.transactions()).isPositive();
      }
      // Then on replica b only: the budget follows the load.
      try (var load = new LoadGenerator(bouncers.get(1).jdbcUrl(db.name()), db.user(), db.password(), 30)) {
        await().atMost(TIMEOUT).untilAsserted(() -> {
          assertThat(replica("orders-pooler-b").size()).isGreaterThanOrEqualTo(12);
          assertThat(replica("orders-pooler-a").size()).isLessThanOrEqualTo(4);
          assertThat(poolSize(bouncers.get(1), db)).isEqualTo(replica("orders-pooler-b").size());
        });
        assertThat(load.transactions()).isPositive();
      }
    } finally {
      watcher.interrupt();
      watcher.join();
    }
    System.out.println("ManagedPoolerReplicasIT: most pool slots held by both PgBouncers together: " + most[0] + " of " + BUDGET);
    assertThat(overBudget).as("the sum of the two PgBouncers' pool sizes exceeded the budget").isFalse();
    var status = units.get().getStatus().pooler();
    assertThat(status.currentSize()).isEqualTo(status.replicas().stream().mapToInt(PoolerReplicaStatus::size).sum());

    // A replica that goes away (its slice is deleted) is no longer sized; the other may take the whole budget.
    client.resources(EndpointSlice.class).inNamespace(namespace).withName("orders-pooler-a").delete();
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(replicas()).extracting(PoolerReplicaStatus::name)
        .containsExactly("orders-pooler-b"));
  }

  private List<PoolerReplicaStatus> replicas() {
    var unit = units.get();
    return unit.getStatus() == null || unit.getStatus().pooler() == null || unit.getStatus().pooler().replicas() == null
        ? List.of() : unit.getStatus().pooler().replicas();
  }

  private PoolerReplicaStatus replica(String name) {
    return replicas().stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
  }

  private static int poolSize(PrivatePgBouncer bouncer, TestDatabase db) {
    try (var admin = new PgBouncerAdminClient(bouncer.host(), bouncer.port(), bouncer.adminUser(), bouncer.adminPassword(),
        Duration.ofSeconds(5))) {
      return PoolController.poolSize(admin, db.name());
    }
  }

  private static String decode(Secret secret, String key) {
    return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }
}

package dev.databaseunit.operator.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.cache.RedisEndpoint;
import dev.databaseunit.operator.common.EgressPolicy;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.status.Conditions;
import dev.databaseunit.operator.testing.ImpostorListener;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.OperatorInNamespace;
import dev.databaseunit.operator.testing.TestClock;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The abuse case of issue 16: whoever may create a DatabaseUnit points it at a listener of their own and names a
 * Secret of the namespace as its credentials. The listener (run by the test on loopback, with the loopback exemption
 * turned off, so it stands for any host) must receive no password.
 */
@WithLocalServices
class CredentialEgressIT {
  private static final String PASSWORD = "secret-of-another-team-" + HexFormat.of().formatHex(new byte[] {7, 42, 99});
  private static final byte[] SSL_REQUEST = {0, 0, 0, 8, 4, (byte) 0xd2, 0x16, 0x2f};
  /** The operator's rules with no exemption for loopback: the listener is treated as the remote host it stands for. */
  private static final EgressPolicy STRICT = new EgressPolicy(false, false, List.of(), List.of(), List.of());

  private KubeCluster cluster;
  private OperatorInNamespace running;

  @BeforeEach
  void prepare(KubeCluster cluster) {
    this.cluster = cluster;
  }

  @AfterEach
  void stop() {
    if (running != null) {
      running.close();
    }
  }

  private void startOperator(EgressPolicy egress) {
    running = OperatorInNamespace.prepare(cluster, "du-egress", TestClock.startingNow(), false);
    running.startOperator(new SimpleMeterRegistry(), egress);
    running.client().resource(running.units().secret("team-secret", Map.of("username", "app", "password", PASSWORD))).create();
  }

  private void pointUnitAt(ImpostorListener listener, String tls) {
    running.apply(running.units().unitYaml("harvest", "team-secret", "127.0.0.1", listener.port(), "app", tls));
  }

  @Test
  void withTlsDisabledTheOperatorRefusesBeforeConnecting() throws Exception {
    try (var listener = new ImpostorListener(ImpostorListener.Tls.REFUSE)) {
      startOperator(STRICT);
      pointUnitAt(listener, "mode: disable");

      var degraded = running.units().awaitCondition("harvest", Conditions.DEGRADED, "True", EventReason.PlaintextCredentialsRefused.name());
      assertThat(degraded.getMessage()).contains("without TLS").doesNotContain(PASSWORD);
      assertThat(listener.connections()).isZero();
    }
  }

  @Test
  void withTlsRequiredTheListenerReceivesOnlyAnSslRequestOrAClientHello() throws Exception {
    for (var answer : ImpostorListener.Tls.values()) {
      try (var listener = new ImpostorListener(answer)) {
        startOperator(STRICT);
        pointUnitAt(listener, "mode: require");

        running.units().awaitCondition("harvest", Conditions.DEGRADED, "True");
        await().atMost(Duration.ofSeconds(30)).until(() -> listener.connections() > 0);
        byte[] received = listener.received();
        assertThat(java.util.Arrays.copyOf(received, SSL_REQUEST.length)).as(answer.name()).isEqualTo(SSL_REQUEST);
        if (answer == ImpostorListener.Tls.REFUSE) {
          assertThat(received.length % SSL_REQUEST.length).isZero();
        } else {
          assertThat(received[SSL_REQUEST.length]).as("a TLS handshake record").isEqualTo((byte) 0x16);
        }
        assertThat(new String(received, StandardCharsets.ISO_8859_1)).doesNotContain(PASSWORD).doesNotContain("app\0");
      }
      running.close();
      running = null;
    }
  }

  /** Without the refusal the same listener gets the password: what the test above would catch. */
  @Test
  void controlAnAdminWhoAllowsPlaintextCredentialsSendsThePasswordToTheListener() throws Exception {
    try (var listener = new ImpostorListener(ImpostorListener.Tls.REFUSE)) {
      startOperator(new EgressPolicy(true, false, List.of(), List.of(), List.of()));
      pointUnitAt(listener, "mode: disable");

      await().atMost(Duration.ofSeconds(60))
          .until(() -> new String(listener.received(), StandardCharsets.ISO_8859_1).contains(PASSWORD));
    }
  }

  @Test
  void plaintextRedisGetsNoPassword() throws Exception {
    try (var listener = new ImpostorListener(ImpostorListener.Tls.REFUSE)) {
      var unit = new io.fabric8.kubernetes.client.utils.KubernetesSerialization().unmarshal("""
          apiVersion: databaseunit.dev/v1alpha1
          kind: DatabaseUnit
          metadata: {name: harvest, namespace: ns}
          spec:
            postgres:
              external: {host: db.internal, database: app, credentials: {secretName: team-secret}}
            cache:
              external: {host: 127.0.0.1, port: %d, tls: false, credentials: {secretName: team-secret}}
          """.formatted(listener.port()), dev.databaseunit.operator.api.v1alpha1.DatabaseUnit.class);
      var secret = new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata().withName("team-secret").endMetadata()
          .withStringData(Map.of("username", "app", "password", PASSWORD)).build();

      assertThatThrownBy(() -> RedisEndpoint.resolve(unit, (ns, name) -> Optional.of(secret), STRICT))
          .isInstanceOf(UnitProblem.class)
          .satisfies(e -> assertThat(((UnitProblem) e).reason()).isEqualTo(EventReason.PlaintextCredentialsRefused));
      assertThat(listener.connections()).isZero();
    }
  }
}

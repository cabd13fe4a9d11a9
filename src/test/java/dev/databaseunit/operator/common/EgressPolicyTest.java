package dev.databaseunit.operator.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import java.util.List;
import org.junit.jupiter.api.Test;

class EgressPolicyTest {
  private static final EgressPolicy DEFAULT = EgressPolicy.DEFAULT;

  @Test
  void plaintextCredentialsGoOnlyToLoopbackUnlessTheAdminOptsIn() {
    assertRefused(() -> DEFAULT.checkDatabase("spec.postgres.external", "db.example.com", false), EventReason.PlaintextCredentialsRefused,
        "tls.mode: disable", "security.allowPlaintextCredentials");
    assertThatCode(() -> DEFAULT.checkDatabase("x", "db.example.com", true)).doesNotThrowAnyException();
    for (String loopback : List.of("127.0.0.1", "127.8.9.10", "localhost", "LOCALHOST.", "::1", "[::1]")) {
      assertThatCode(() -> DEFAULT.checkDatabase("x", loopback, false)).as(loopback).doesNotThrowAnyException();
    }
    for (String notLoopback : List.of("127.0.0.1.attacker.example", "128.0.0.1", "localhost.attacker.example", "127.0.0.256", "::2")) {
      assertRefused(() -> DEFAULT.checkDatabase("x", notLoopback, false), EventReason.PlaintextCredentialsRefused, notLoopback);
    }
    var optedIn = new EgressPolicy(true, true, List.of(), List.of(), List.of());
    assertThatCode(() -> optedIn.checkDatabase("x", "db.example.com", false)).doesNotThrowAnyException();
    var strict = new EgressPolicy(false, false, List.of(), List.of(), List.of());
    assertRefused(() -> strict.checkDatabase("x", "127.0.0.1", false), EventReason.PlaintextCredentialsRefused, "127.0.0.1");
  }

  @Test
  void redisWithoutTlsGetsNoPasswordButAnOpenRedisMayBeUsed() {
    assertRefused(() -> DEFAULT.checkRedis("cache.example.com", false, true), EventReason.PlaintextCredentialsRefused, "tls: false");
    assertThatCode(() -> DEFAULT.checkRedis("cache.example.com", false, false)).doesNotThrowAnyException();
    assertThatCode(() -> DEFAULT.checkRedis("cache.example.com", true, true)).doesNotThrowAnyException();
  }

  @Test
  void allowListsNameHostsExactlyOrBySuffix() {
    var lists = new EgressPolicy(false, true, List.of("db.internal", "*.rds.amazonaws.com"), List.of("minio.storage.svc", "*.amazonaws.com"),
        List.of("scratch.internal"));
    assertThatCode(() -> lists.checkDatabase("x", "DB.internal", true)).doesNotThrowAnyException();
    assertThatCode(() -> lists.checkDatabase("x", "orders.abc.eu-west-1.rds.amazonaws.com", true)).doesNotThrowAnyException();
    assertRefused(() -> lists.checkDatabase("spec.postgres.external", "rds.amazonaws.com.attacker.example", true),
        EventReason.TargetNotAllowed, "security.allowedDatabaseHosts", "nothing was sent");
    assertRefused(() -> lists.checkDatabase("x", "rds.amazonaws.com", true), EventReason.TargetNotAllowed, "rds.amazonaws.com");

    assertThatCode(() -> lists.checkS3("spec.storage", "http://minio.storage.svc:9000", "us-east-1")).doesNotThrowAnyException();
    assertThatCode(() -> lists.checkS3("spec.storage", null, "eu-west-1")).doesNotThrowAnyException();
    assertRefused(() -> lists.checkS3("spec.storage", "https://collector.attacker.example", "us-east-1"), EventReason.TargetNotAllowed,
        "security.allowedS3Endpoints");

    assertThatCode(() -> lists.checkScratchInstance("scratch.internal")).doesNotThrowAnyException();
    assertRefused(() -> lists.checkScratchInstance("db.internal"), EventReason.TargetNotAllowed, "security.allowedScratchInstances");
    assertThatCode(() -> DEFAULT.checkScratchInstance("anywhere.example")).doesNotThrowAnyException();
  }

  private interface Check {
    void run() throws UnitProblem;
  }

  private static void assertRefused(Check check, EventReason reason, String... inMessage) {
    assertThatThrownBy(check::run).isInstanceOf(UnitProblem.class)
        .satisfies(e -> assertThat(((UnitProblem) e).reason()).isEqualTo(reason))
        .hasMessageContainingAll(inMessage);
  }
}

package dev.databaseunit.operator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.testing.PrivatePgBouncer;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import java.sql.DriverManager;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The managed pooler's stop, on a real PgBouncer under the container's own command ({@link PgBouncerResources#SHUTDOWN_WRAPPER}):
 * the kubelet's SIGTERM to the wrapper reaches PgBouncer as SIGINT, its safe shutdown, so a client in the middle of a
 * transaction can still finish and commit it, and PgBouncer exits (status 0, through the wrapper) once that transaction
 * has released its server connection. PgBouncer's own SIGTERM would have dropped the client at once (before 1.23), or
 * waited for every client to disconnect (from 1.23).
 */
@WithLocalServices
class PgBouncerShutdownIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @Test
  void aTerminatedPoolerLetsTheOpenTransactionCommitThenExits(TestDatabase db) throws Exception {
    try (var c = db.connect(); var s = c.createStatement()) {
      s.execute("create table shutdown_probe (id int)");
    }
    try (var bouncer = PrivatePgBouncer.underWrapper(PgBouncerResources.SHUTDOWN_WRAPPER);
         var client = DriverManager.getConnection(bouncer.jdbcUrl(db.name()), db.user(), db.password())) {
      Process wrapper = bouncer.wrapperProcess();
      long pgbouncer = bouncer.pid();
      client.setAutoCommit(false);
      try (var s = client.createStatement()) {
        s.execute("insert into shutdown_probe values (1)");
      }

      wrapper.destroy(); // SIGTERM, as the kubelet sends it to the container's first process
      await().atMost(TIMEOUT).alias("PgBouncer logs the SIGINT the wrapper sent").until(() -> bouncer.log().contains("got SIGINT"));
      assertThat(bouncer.log()).doesNotContain("got SIGTERM");
      // PgBouncer waits for the open transaction, however long it takes: it is still there and still serves it.
      assertThat(wrapper.isAlive()).as("the wrapper waits for PgBouncer").isTrue();
      assertThat(ProcessHandle.of(pgbouncer).map(ProcessHandle::isAlive)).as("PgBouncer still running").contains(true);
      try (var s = client.createStatement()) {
        s.execute("insert into shutdown_probe values (2)");
      }
      client.commit();

      await().atMost(TIMEOUT).alias("the wrapper exits once PgBouncer has").until(() -> !wrapper.isAlive());
      assertThat(wrapper.exitValue()).as("PgBouncer's exit status, through the wrapper; log:%n%s", bouncer.log()).isZero();
      assertThat(ProcessHandle.of(pgbouncer).map(ProcessHandle::isAlive).orElse(false)).as("PgBouncer exited").isFalse();
    }
    assertThat(db.queryLong("select count(*) from shutdown_probe")).as("both rows of the transaction committed").isEqualTo(2);
  }
}

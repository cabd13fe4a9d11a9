package dev.databaseunit.operator.maintenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec.DrainTimeoutAction;
import dev.databaseunit.operator.pool.AdminEndpoint;
import dev.databaseunit.operator.testing.PrivatePgBouncer;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A pooler of two real PgBouncer processes, each with its own clients, drained as one: the drain holds only once
 * both hold, every client's transaction finishes (none fails), and RESUME reaches both — also from a fresh drain
 * point that never paused them, as after an operator restart, and past a pod that cannot be reached.
 */
@WithLocalServices
class ReplicatedDrainPointIT {
  private final List<PrivatePgBouncer> bouncers = new ArrayList<>();
  private final List<AdminEndpoint> listed = new ArrayList<>();
  private final DrainPoints consoles = PgBouncerDrainPoint::new;

  @BeforeEach
  void start() {
    for (int i = 0; i < 2; i++) {
      var bouncer = PrivatePgBouncer.start(4, 100);
      bouncers.add(bouncer);
      listed.add(new AdminEndpoint(bouncer.host(), bouncer.port(), bouncer.adminUser(), bouncer.adminPassword()));
    }
  }

  @AfterEach
  void stop() {
    bouncers.forEach(PrivatePgBouncer::close);
  }

  private ReplicatedDrainPoint drainPoint() {
    return new ReplicatedDrainPoint(which -> List.copyOf(listed), consoles);
  }

  @Test
  void bothPgBouncersArePausedUnderLoadAndResumedWithoutAFailedTransaction(TestDatabase db) throws Exception {
    var drainPoint = drainPoint();
    try (var onA = new ClientLoad(bouncers.get(0).jdbcUrl(db.name()), db.user(), db.password(), 3);
        var onB = new ClientLoad(bouncers.get(1).jdbcUrl(db.name()), db.user(), db.password(), 3)) {
      awaitTransactions(onA, onB);
      var drained = new Drainer(drainPoint).drain(db.name(), db.dataSource(), Duration.ofSeconds(20), DrainTimeoutAction.ABORT);
      assertThat(drained.outcome()).isEqualTo(Drainer.Outcome.DRAINED);
      for (AdminEndpoint console : listed) {
        assertThat(consoles.forConsole(console).isPaused(db.name())).as(console + " paused").isTrue();
      }
      // Behind both PAUSEs no transaction of either pooler completes.
      long before = onA.transactions() + onB.transactions();
      Thread.sleep(500);
      assertThat(onA.transactions() + onB.transactions()).isEqualTo(before);
      assertThat(drainPoint.isPaused(db.name())).isTrue();

      drainPoint.resume(db.name());
      drained.pause().abandon();
      assertThat(drainPoint.isPaused(db.name())).isFalse();
      awaitTransactions(onA, onB);
      assertThat(onA.errors()).isEmpty();
      assertThat(onB.errors()).isEmpty();
    }
  }

  @Test
  void aFreshDrainPointResumesEveryListedPgBouncer(TestDatabase db) throws Exception {
    var pause = drainPoint().pause(db.name(), Duration.ofSeconds(30));
    try {
      awaitAcknowledged(pause);
      assertThat(drainPoint().isPaused(db.name())).isTrue();
      // What an operator that restarted has: no memory of the pause, only the pods the Service lists.
      drainPoint().resume(db.name());
      assertThat(drainPoint().isPaused(db.name())).isFalse();
    } finally {
      pause.abandon();
    }
  }

  @Test
  void aPgBouncerThatCannotBePausedFailsTheDrainAndTheOthersAreResumed(TestDatabase db) throws Exception {
    var unreachable = new AdminEndpoint("127.0.0.1", PrivatePgBouncer.freePort(), "pool_admin", "x");
    listed.add(unreachable);
    var drainPoint = drainPoint();
    assertThatThrownBy(() -> drainPoint.pause(db.name(), Duration.ofSeconds(30)))
        .isInstanceOf(IOException.class).hasMessageContaining(String.valueOf(unreachable.port()));
    // The pods before it were sent PAUSE (the drain's caller RESUMEs them in its finally path).
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!consoles.forConsole(listed.get(0)).isPaused(db.name()) || !consoles.forConsole(listed.get(1)).isPaused(db.name())) {
      assertThat(System.nanoTime()).as("both PgBouncers report the PAUSE").isLessThan(deadline);
      Thread.sleep(50);
    }

    // While it is still listed, RESUME reports it, after resuming the ones that can be reached.
    assertThatThrownBy(() -> drainPoint.resume(db.name())).isInstanceOf(IOException.class).hasMessageContaining("1 of 3");
    assertThat(consoles.forConsole(listed.get(0)).isPaused(db.name())).isFalse();
    assertThat(consoles.forConsole(listed.get(1)).isPaused(db.name())).isFalse();

    // Once it has left the Service, a pod that was sent PAUSE and cannot be reached is gone: RESUME succeeds.
    listed.remove(unreachable);
    drainPoint.resume(db.name());
  }

  private static void awaitAcknowledged(DrainPoint.PendingPause pause) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!pause.acknowledged()) {
      assertThat(System.nanoTime()).as("PAUSE answered").isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private static void awaitTransactions(ClientLoad... loads) throws InterruptedException {
    long[] start = new long[loads.length];
    for (int i = 0; i < loads.length; i++) {
      start[i] = loads[i].transactions();
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    for (int i = 0; i < loads.length; i++) {
      while (loads[i].transactions() < start[i] + 5) {
        assertThat(System.nanoTime()).as("clients make progress").isLessThan(deadline);
        Thread.sleep(50);
      }
    }
  }
}

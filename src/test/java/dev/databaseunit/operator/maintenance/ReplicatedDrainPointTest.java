package dev.databaseunit.operator.maintenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.databaseunit.operator.pool.AdminEndpoint;
import dev.databaseunit.operator.pool.PoolerPods;
import java.io.IOException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fan-out rules, over consoles that only record what they were told. */
class ReplicatedDrainPointTest {
  private static final AdminEndpoint A = pod("10.0.0.1");
  private static final AdminEndpoint B = pod("10.0.0.2");
  private static final AdminEndpoint TERMINATING = pod("10.0.0.3");

  private final Map<AdminEndpoint, Fake> fakes = new HashMap<>();
  private final Map<PoolerPods.Which, List<AdminEndpoint>> listing = new EnumMap<>(PoolerPods.Which.class);
  private final ReplicatedDrainPoint drainPoint = new ReplicatedDrainPoint(which -> listing.getOrDefault(which, List.of()),
      console -> fakes.computeIfAbsent(console, c -> new Fake()));

  private void list(List<AdminEndpoint> notTerminating, List<AdminEndpoint> all) {
    listing.put(PoolerPods.Which.NOT_TERMINATING, notTerminating);
    listing.put(PoolerPods.Which.ALL, all);
  }

  @Test
  void pauseGoesToEveryPodNotTerminatingAndHoldsOnlyOnceAllAnswered() throws IOException {
    list(List.of(A, B), List.of(A, B, TERMINATING));
    var pause = drainPoint.pause("app", Duration.ofSeconds(1));
    assertThat(fakes).containsOnlyKeys(A, B);
    assertThat(pause.acknowledged()).isFalse();
    fakes.get(A).answered = true;
    assertThat(pause.acknowledged()).isFalse();
    fakes.get(B).answered = true;
    assertThat(pause.acknowledged()).isTrue();
    pause.abandon();
    assertThat(fakes.values()).allMatch(f -> f.abandoned);
  }

  @Test
  void resumeReachesTerminatingPodsAndPodsPausedThatLeftTheListing() throws IOException {
    list(List.of(A, B), List.of(A, B));
    drainPoint.pause("app", Duration.ofSeconds(1));
    list(List.of(B), List.of(B, TERMINATING));
    drainPoint.resume("app");
    assertThat(fakes.get(A).resumes).isEqualTo(1);
    assertThat(fakes.get(B).resumes).isEqualTo(1);
    assertThat(fakes.get(TERMINATING).resumes).isEqualTo(1);
  }

  @Test
  void aListedPodThatRefusesResumeFailsItAfterTheOthersWereResumed() throws IOException {
    list(List.of(A, B), List.of(A, B));
    fakes.put(A, new Fake());
    fakes.get(A).refuseResume = true;
    assertThatThrownBy(() -> drainPoint.resume("app")).hasMessageContaining("1 of 2").hasMessageContaining("10.0.0.1:6432");
    assertThat(fakes.get(B).resumes).isEqualTo(1);
  }

  @Test
  void aPausedPodThatLeftAndCannotBeReachedIsGoneNotAFailure() throws IOException {
    list(List.of(A, B), List.of(A, B));
    drainPoint.pause("app", Duration.ofSeconds(1));
    fakes.get(A).refuseResume = true;
    list(List.of(B), List.of(B));
    drainPoint.resume("app");
    assertThat(fakes.get(B).resumes).isEqualTo(1);
  }

  @Test
  void aPodThatRefusesPauseAbandonsThePausesSentBefore() throws IOException {
    list(List.of(A, B), List.of(A, B));
    fakes.put(B, new Fake());
    fakes.get(B).refusePause = true;
    assertThatThrownBy(() -> drainPoint.pause("app", Duration.ofSeconds(1))).hasMessageContaining("10.0.0.2:6432");
    assertThat(fakes.get(A).abandoned).isTrue();
    // RESUME still reaches both: the first was paused, the second may have been.
    drainPoint.resume("app");
    assertThat(fakes.get(A).resumes).isEqualTo(1);
    assertThat(fakes.get(B).resumes).isEqualTo(1);
  }

  @Test
  void noPodListedIsAnErrorNotAnEmptyDrain() {
    list(List.of(), List.of());
    assertThatThrownBy(() -> drainPoint.pause("app", Duration.ofSeconds(1))).hasMessageContaining("no PgBouncer pod");
  }

  @Test
  void pausedIfAnyListedPodIsPausedAndPoolsAreSummed() throws IOException {
    list(List.of(A, B), List.of(A, B, TERMINATING));
    assertThat(drainPoint.isPaused("app")).isFalse();
    fakes.get(TERMINATING).paused = true;
    assertThat(drainPoint.isPaused("app")).isTrue();
    fakes.get(A).counts = new DrainPoint.PoolCounts(1, 2, 3);
    fakes.get(B).counts = new DrainPoint.PoolCounts(10, 20, 30);
    assertThat(drainPoint.pool("app")).isEqualTo(new DrainPoint.PoolCounts(11, 22, 33));
  }

  private static AdminEndpoint pod(String address) {
    return new AdminEndpoint("orders-pooler.ns.svc", 6432, "pool_admin", "secret", null, address);
  }

  private static final class Fake implements DrainPoint {
    boolean answered;
    boolean abandoned;
    boolean paused;
    boolean refusePause;
    boolean refuseResume;
    int resumes;
    PoolCounts counts = new PoolCounts(0, 0, 0);

    @Override
    public PendingPause pause(String database, Duration answerWithin) throws IOException {
      if (refusePause) {
        throw new IOException("connection refused");
      }
      return new PendingPause() {
        @Override
        public boolean acknowledged() {
          return answered;
        }

        @Override
        public void abandon() {
          abandoned = true;
        }
      };
    }

    @Override
    public void resume(String database) throws IOException {
      if (refuseResume) {
        throw new IOException("connection refused");
      }
      resumes++;
    }

    @Override
    public boolean isPaused(String database) {
      return paused;
    }

    @Override
    public PoolCounts pool(String database) {
      return counts;
    }
  }
}

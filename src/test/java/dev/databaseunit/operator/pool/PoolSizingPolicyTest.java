package dev.databaseunit.operator.pool;

import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.databaseunit.operator.pool.PoolSizingPolicy.Decision;
import dev.databaseunit.operator.pool.PoolSizingPolicy.Direction;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PoolSizingPolicyTest {
  private static final Instant NOW = Instant.parse("2026-01-01T12:00:00Z");
  private static final PoolSettings SEED = PoolSettings.seedDefaults(); // 10s samples, 60s window, 120s cooldown

  /** A full window (6 samples, 10s apart, ending now) with the same active servers and waiting clients. */
  private static List<PoolSample> steady(int size, int active, int waiting) {
    List<PoolSample> samples = new ArrayList<>();
    for (int i = 5; i >= 0; i--) {
      samples.add(sample(NOW.minusSeconds(10L * i), size, active, waiting));
    }
    return samples;
  }

  private static PoolSample sample(Instant at, int size, int active, int waiting) {
    return new PoolSample(at, size, active, size - active, 0, active + waiting, waiting, waiting > 0 ? 0.5 : 0, 0);
  }

  private static Decision decide(List<PoolSample> samples, int size) {
    return PoolSizingPolicy.decide(samples, size, Optional.empty(), SEED, NOW);
  }

  @Test
  void scalesUpByStepStrictlyAboveTheThreshold() {
    // 8 of 10 = 0.80 exactly: not above
    assertThat(decide(steady(10, 8, 0), 10).direction()).isEqualTo(Direction.NONE);
    // 9 of 10 = 0.90: +5
    Decision up = decide(steady(10, 9, 0), 10);
    assertThat(up.size()).isEqualTo(15);
    assertThat(up.direction()).isEqualTo(Direction.UP);
    assertThat(up.reason()).isEqualTo("utilisation 0.90 over 60s");
  }

  @Test
  void thresholdEdgesWithAnAveragedWindow() {
    // five samples at 8/10 and one at 9/10: mean 0.8167 > 0.8
    var samples = steady(10, 8, 0);
    samples.set(5, sample(NOW, 10, 9, 0));
    assertThat(decide(samples, 10).size()).isEqualTo(15);
    // 0.3 exactly (3/10) stays; 0.2833 shrinks
    assertThat(decide(steady(10, 3, 0), 10).direction()).isEqualTo(Direction.NONE);
    var low = steady(10, 3, 0);
    low.set(0, sample(NOW.minusSeconds(50), 10, 2, 0));
    assertThat(decide(low, 10)).satisfies(d -> {
      assertThat(d.direction()).isEqualTo(Direction.DOWN);
      assertThat(d.size()).isEqualTo(8);
    });
  }

  @Test
  void scalesDownByStepBelowTheThreshold() {
    Decision down = decide(steady(20, 2, 0), 20);
    assertThat(down.size()).isEqualTo(18);
    assertThat(down.direction()).isEqualTo(Direction.DOWN);
    assertThat(down.reason()).isEqualTo("utilisation 0.10 over 60s");
  }

  @Test
  void waitingClientsCountAsDemandBeyondOne() {
    // every server busy and 10 clients queued: utilisation 2.0, not 1.0
    Decision d = decide(steady(10, 10, 10), 10);
    assertThat(d.utilisation()).isEqualTo(2.0);
    assertThat(d.size()).isEqualTo(15);
    assertThat(d.reason()).isEqualTo("utilisation 2.00 over 60s, 10.0 clients waiting");
    // 7 busy + 2 waiting = 0.9: scales up though sv_active alone (0.7) would not
    assertThat(decide(steady(10, 7, 2), 10).direction()).isEqualTo(Direction.UP);
  }

  @Test
  void clampsStepsToMinAndMax() {
    assertThat(decide(steady(48, 48, 5), 48).size()).isEqualTo(50);
    Decision atMax = decide(steady(50, 50, 20), 50);
    assertThat(atMax.direction()).isEqualTo(Direction.NONE);
    assertThat(atMax.reason()).endsWith("at maxSize 50");
    assertThat(decide(steady(6, 0, 0), 6).size()).isEqualTo(5);
    Decision atMin = decide(steady(5, 0, 0), 5);
    assertThat(atMin.direction()).isEqualTo(Direction.NONE);
    assertThat(atMin.reason()).endsWith("at minSize 5");
  }

  @Test
  void aSizeOutsideTheBoundsIsClampedAtOnceEvenInCooldown() {
    Optional<Instant> justStepped = Optional.of(NOW.minusSeconds(1));
    assertThat(PoolSizingPolicy.decide(List.of(), 80, justStepped, SEED, NOW))
        .isEqualTo(new Decision(50, Direction.DOWN, 0, "size 80 above maxSize 50"));
    assertThat(PoolSizingPolicy.decide(List.of(), 2, justStepped, SEED, NOW))
        .isEqualTo(new Decision(5, Direction.UP, 0, "size 2 below minSize 5"));
  }

  @Test
  void neverShrinksBelowTheServerConnectionsInUse() {
    // mean 0.25 but one sample had 9 active servers: 20 → 18 is fine, 10 → 9 at most
    var samples = steady(40, 8, 0);
    samples.set(2, sample(NOW.minusSeconds(30), 40, 19, 0));
    assertThat(decide(samples, 40).size()).isEqualTo(38);
    var spiky = steady(20, 0, 0);
    spiky.set(3, sample(NOW.minusSeconds(20), 20, 19, 0)); // mean 0.158, but 19 in use
    Decision held = decide(spiky, 20);
    assertThat(held.size()).isEqualTo(20 - 1);
    assertThat(held.direction()).isEqualTo(Direction.DOWN);
    var busy = steady(20, 0, 0);
    busy.set(5, sample(NOW, 20, 20, 0)); // 0.1667 mean, all 20 in use right now
    Decision none = decide(busy, 20);
    assertThat(none.direction()).isEqualTo(Direction.NONE);
    assertThat(none.reason()).endsWith("20 server connections in use");
  }

  @Test
  void cooldownBlocksStepsUntilItEnds() {
    var samples = steady(10, 10, 5);
    assertThat(PoolSizingPolicy.decide(samples, 10, Optional.of(NOW.minusSeconds(119)), SEED, NOW.plusSeconds(0)).direction())
        .isEqualTo(Direction.NONE);
    // 120s after a step the cooldown is over; the window (samples after the step) must be full too
    Instant stepped = NOW.minusSeconds(120);
    Decision d = PoolSizingPolicy.decide(samples, 10, Optional.of(stepped), SEED, NOW);
    assertThat(d.direction()).isEqualTo(Direction.UP);
    Decision cooling = PoolSizingPolicy.decide(samples, 10, Optional.of(NOW.minusSeconds(30)), SEED, NOW);
    assertThat(cooling.reason()).startsWith("cooling down until");
    assertThat(cooling.utilisation()).isEqualTo(1.5);
  }

  @Test
  void waitsForAFullWindowOfSamplesTakenAfterTheLastStep() {
    var samples = steady(10, 10, 0);
    // only 3 samples in the window: not enough to act on
    Decision partial = decide(samples.subList(3, 6), 10);
    assertThat(partial.direction()).isEqualTo(Direction.NONE);
    assertThat(partial.reason()).isEqualTo("window not full (3 of 6 samples)");
    // samples from before the last step do not count, even inside the window
    var settings = new PoolSettings(5, 50, 10, 0.8, 0.3, 5, 2, Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(10));
    Decision afterStep = PoolSizingPolicy.decide(samples, 10, Optional.of(NOW.minusSeconds(25)), settings, NOW);
    assertThat(afterStep.reason()).isEqualTo("window not full (3 of 6 samples)");
    assertThat(decide(List.of(), 10).reason()).isEqualTo("no samples since the last step");
  }

  @Test
  void samplesOutsideTheWindowAreIgnored() {
    var samples = new ArrayList<PoolSample>();
    samples.add(sample(NOW.minusSeconds(61), 10, 10, 50)); // huge demand, but too old
    samples.addAll(steady(10, 5, 0));
    samples.add(sample(NOW.plusSeconds(5), 10, 10, 50)); // from the future (clock skew): ignored
    Decision d = decide(samples, 10);
    assertThat(d.utilisation()).isEqualTo(0.5);
    assertThat(d.direction()).isEqualTo(Direction.NONE);
    assertThat(d.reason()).isEqualTo("utilisation 0.50 over 60s; within thresholds");
  }

  @Test
  void smoothingIgnoresASingleSpike() {
    var samples = steady(10, 4, 0);
    samples.set(4, sample(NOW.minusSeconds(10), 10, 10, 6)); // one sample at 1.6
    Decision d = decide(samples, 10);
    assertThat(d.utilisation()).isCloseTo((4 * 5 + 16) / 60.0, org.assertj.core.data.Offset.offset(1e-6));
    assertThat(d.direction()).isEqualTo(Direction.NONE);
  }

  @Test
  void utilisationUsesTheSizeInForceAtEachSample() {
    var samples = new ArrayList<PoolSample>();
    for (int i = 5; i >= 0; i--) {
      samples.add(sample(NOW.minusSeconds(10L * i), i >= 3 ? 20 : 10, 9, 0)); // 0.45 then 0.9
    }
    assertThat(decide(samples, 10).utilisation()).isCloseTo(0.675, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void configurableThresholdsAndSteps() {
    var settings = new PoolSettings(2, 100, 4, 0.5, 0.1, 10, 3, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ZERO);
    var one = List.of(sample(NOW, 20, 11, 0));
    assertThat(PoolSizingPolicy.decide(one, 20, Optional.empty(), settings, NOW).size()).isEqualTo(30);
    var idle = List.of(sample(NOW, 20, 1, 0));
    assertThat(PoolSizingPolicy.decide(idle, 20, Optional.empty(), settings, NOW).size()).isEqualTo(17);
  }

  /** Whatever the samples, a decision stays in [min, max] and moves by at most one step. */
  @Test
  void randomisedInvariants() {
    var random = new Random(42);
    for (int run = 0; run < 5000; run++) {
      int size = 5 + random.nextInt(46);
      List<PoolSample> samples = new ArrayList<>();
      for (int i = random.nextInt(8); i >= 0; i--) {
        int active = random.nextInt(size + 1);
        samples.add(sample(NOW.minusSeconds(10L * i), size, active, random.nextInt(3) == 0 ? random.nextInt(30) : 0));
      }
      Optional<Instant> last = random.nextBoolean() ? Optional.empty() : Optional.of(NOW.minusSeconds(random.nextInt(300)));
      Decision d = PoolSizingPolicy.decide(samples, size, last, SEED, NOW);
      assertThat(d.size()).isBetween(5, 50);
      assertThat(d.size() - size).isBetween(-2, 5);
      assertThat(d.direction()).isEqualTo(d.size() > size ? Direction.UP : d.size() < size ? Direction.DOWN : Direction.NONE);
      int maxActive = samples.stream().mapToInt(PoolSample::serversActive).max().orElse(0);
      if (d.direction() == Direction.DOWN) {
        assertThat(d.size()).isGreaterThanOrEqualTo(maxActive);
      }
    }
  }

  @Test
  void settingsFromTheSpecAndTheirValidation() {
    assertThat(ApiDurations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(ApiDurations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(ApiDurations.parse("1d")).isEqualTo(Duration.ofDays(1));
    assertThatThrownBy(() -> ApiDurations.parse("0s")).isInstanceOf(IllegalArgumentException.class);
    assertThat(PoolSettings.format(Duration.ofSeconds(90))).isEqualTo("90s");
    assertThat(PoolSettings.format(Duration.ofMinutes(2))).isEqualTo("120s");
    assertThat(PoolSettings.format(Duration.ofMinutes(20))).isEqualTo("20m");
    assertThat(PoolSettings.format(Duration.ofMillis(1500))).isEqualTo("1500ms");
    assertThat(SEED.samplesPerWindow()).isEqualTo(6);
    assertThatThrownBy(() -> new PoolSettings(10, 50, 5, 0.8, 0.3, 5, 2, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new PoolSettings(5, 50, 10, 0.3, 0.8, 5, 2, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

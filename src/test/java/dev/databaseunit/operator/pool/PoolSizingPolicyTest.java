package dev.databaseunit.operator.pool;

import dev.databaseunit.operator.api.v1alpha1.ApiDurations;
import dev.databaseunit.operator.api.v1alpha1.PoolerSpec;
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
  private static final PoolSettings SEED = PoolSettings.seedDefaults(); // 10s samples, 60s window, 120s cooldown, 5s quick
  /** The defaults with a 10s scale-up cooldown: the quick path looks at the last two samples. */
  private static final PoolSettings QUICK_10S = new PoolSettings(5, 50, 10, 0.8, 0.3, 5, 2, Duration.ofSeconds(10),
      Duration.ofSeconds(60), Duration.ofSeconds(120), Duration.ofSeconds(10), Duration.ofSeconds(60));

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
    // busy (1.0) but nobody queueing: only the regular rule applies, after the full 120s cooldown
    var samples = steady(10, 10, 0);
    Decision cooling = PoolSizingPolicy.decide(samples, 10, Optional.of(NOW.minusSeconds(119)), SEED, NOW);
    assertThat(cooling.direction()).isEqualTo(Direction.NONE);
    assertThat(cooling.reason()).isEqualTo("cooling down until 2026-01-01T12:00:01Z");
    assertThat(cooling.utilisation()).isEqualTo(1.0);
    // 120s after a step the cooldown is over; the window (samples after the step) must be full too
    Decision d = PoolSizingPolicy.decide(samples, 10, Optional.of(NOW.minusSeconds(120)), SEED, NOW);
    assertThat(d.direction()).isEqualTo(Direction.UP);
    assertThat(d.reason()).isEqualTo("utilisation 1.00 over 60s");
  }

  @Test
  void whileClientsQueueAScaleUpFollowsTheLastStepAfterTheScaleUpCooldown() {
    var samples = steady(10, 10, 5); // 1.5, 5 waiting in every sample
    Decision up = PoolSizingPolicy.decide(samples, 10, Optional.of(NOW.minusSeconds(30)), SEED, NOW);
    assertThat(up).isEqualTo(new Decision(15, Direction.UP, 1.5, "utilisation 1.50 over 5s, 5.0 clients waiting in every sample"));
    // the edge: exactly scaleUpCooldown (5s) after the step, with the one sample taken since then
    Decision edge = PoolSizingPolicy.decide(samples, 10, Optional.of(NOW.minusSeconds(5)), SEED, NOW);
    assertThat(edge.size()).isEqualTo(15);
    assertThat(edge.utilisation()).isEqualTo(1.5);
    // a millisecond earlier: still cooling down
    Decision early = PoolSizingPolicy.decide(samples, 10, Optional.of(NOW.minusMillis(4_999)), SEED, NOW);
    assertThat(early.direction()).isEqualTo(Direction.NONE);
    assertThat(early.reason()).startsWith("cooling down until");
    // whatever the last step was (the policy does not look at its direction), a queue is served
    assertThat(PoolSizingPolicy.decide(samples, 10, Optional.of(NOW.minusSeconds(15)), SEED, NOW).size()).isEqualTo(15);
  }

  @Test
  void aQuickScaleUpNeedsClientsWaitingInEverySampleOfTheScaleUpCooldown() {
    var samples = steady(10, 10, 5);
    samples.set(4, sample(NOW.minusSeconds(10), 10, 10, 0)); // the queue was empty 10s ago
    Decision d = PoolSizingPolicy.decide(samples, 10, Optional.of(NOW.minusSeconds(30)), QUICK_10S, NOW);
    assertThat(d.direction()).isEqualTo(Direction.NONE);
    assertThat(d.reason()).startsWith("cooling down until");
    // an older sample without waiting (outside the scale-up cooldown) does not matter
    samples = steady(10, 10, 5);
    samples.set(3, sample(NOW.minusSeconds(20), 10, 10, 0));
    Decision up = PoolSizingPolicy.decide(samples, 10, Optional.of(NOW.minusSeconds(30)), QUICK_10S, NOW);
    assertThat(up.size()).isEqualTo(15);
    assertThat(up.reason()).isEqualTo("utilisation 1.50 over 10s, 5.0 clients waiting in every sample");
  }

  @Test
  void aQuickScaleUpNeedsMeanUtilisationStrictlyAboveTheThreshold() {
    Optional<Instant> stepped = Optional.of(NOW.minusSeconds(30));
    // 26 busy + 10 waiting of 45 = 0.80 exactly: clients wait (connections still opening) but demand is not above
    Decision at = PoolSizingPolicy.decide(steady(45, 26, 10), 45, stepped, SEED, NOW);
    assertThat(at.direction()).isEqualTo(Direction.NONE);
    assertThat(at.reason()).startsWith("cooling down until");
    // 27 + 10 of 45 = 0.822: +5
    assertThat(PoolSizingPolicy.decide(steady(45, 27, 10), 45, stepped, SEED, NOW).size()).isEqualTo(50);
  }

  @Test
  void aQuickScaleUpNeedsAScaleUpCooldownsWorthOfSamples() {
    // 5s samples, 30s scale-up cooldown: 6 samples since the step, all queueing
    var settings = new PoolSettings(5, 50, 10, 0.8, 0.3, 5, 2, Duration.ofSeconds(5), Duration.ofSeconds(60),
        Duration.ofSeconds(120), Duration.ofSeconds(30), Duration.ofSeconds(60));
    assertThat(settings.samplesPerScaleUp()).isEqualTo(6);
    var samples = new ArrayList<PoolSample>();
    for (int i = 5; i >= 0; i--) {
      samples.add(sample(NOW.minusSeconds(5L * i), 20, 20, 3));
    }
    Optional<Instant> stepped = Optional.of(NOW.minusSeconds(31));
    Decision up = PoolSizingPolicy.decide(samples, 20, stepped, settings, NOW);
    assertThat(up.size()).isEqualTo(25);
    assertThat(up.reason()).isEqualTo("utilisation 1.15 over 30s, 3.0 clients waiting in every sample");
    // a gap in sampling (PgBouncer unreachable for a while): too few samples to act on quickly
    samples.remove(2);
    Decision gap = PoolSizingPolicy.decide(samples, 20, stepped, settings, NOW);
    assertThat(gap.direction()).isEqualTo(Direction.NONE);
    assertThat(gap.reason()).startsWith("cooling down until");
  }

  @Test
  void aQueueOutweighsALowWindowMeanAfterASuddenRise() {
    // 5s samples over a 60s window: ten idle samples, then the last three (10s) queueing at 1.02
    var settings = new PoolSettings(5, 50, 10, 0.8, 0.3, 5, 2, Duration.ofSeconds(5), Duration.ofSeconds(60),
        Duration.ofSeconds(120), Duration.ofSeconds(10), Duration.ofSeconds(60));
    var samples = new ArrayList<PoolSample>();
    for (int i = 12; i >= 0; i--) {
      samples.add(i <= 2 ? sample(NOW.minusSeconds(5L * i), 50 - 10, 40, 1) : sample(NOW.minusSeconds(5L * i), 40, 0, 0));
    }
    Decision d = PoolSizingPolicy.decide(samples, 40, Optional.empty(), settings, NOW);
    assertThat(d.direction()).isEqualTo(Direction.UP);
    assertThat(d.size()).isEqualTo(45);
    assertThat(d.reason()).isEqualTo("utilisation 1.03 over 10s, 1.0 clients waiting in every sample");
    // without the queue the same window mean (0.23) shrinks
    samples.replaceAll(s -> s.clientsWaiting() > 0 ? sample(s.at(), 40, 10, 0) : s);
    assertThat(PoolSizingPolicy.decide(samples, 40, Optional.empty(), settings, NOW).direction()).isEqualTo(Direction.DOWN);
  }

  @Test
  void scaleDownStaysConservativeAfterAQuickScaleUp() {
    var idle = steady(30, 1, 0);
    // 30s after a step: a queue would have grown the pool, an idle pool waits out the full cooldown
    Decision cooling = PoolSizingPolicy.decide(idle, 30, Optional.of(NOW.minusSeconds(30)), SEED, NOW);
    assertThat(cooling.direction()).isEqualTo(Direction.NONE);
    assertThat(cooling.reason()).startsWith("cooling down until");
    // after the cooldown, a full window of samples since the step: −2
    Decision down = PoolSizingPolicy.decide(idle, 30, Optional.of(NOW.minusSeconds(120)), SEED, NOW);
    assertThat(down.size()).isEqualTo(28);
    assertThat(down.direction()).isEqualTo(Direction.DOWN);
    // the cooldown is over but only part of the window was sampled since the step
    Decision partial = PoolSizingPolicy.decide(idle.subList(3, 6), 30, Optional.of(NOW.minusSeconds(200)), SEED, NOW);
    assertThat(partial.reason()).isEqualTo("window not full (3 of 6 samples)");
  }

  @Test
  void aQuickScaleUpIsClampedToMaxSize() {
    Optional<Instant> stepped = Optional.of(NOW.minusSeconds(20));
    assertThat(PoolSizingPolicy.decide(steady(48, 48, 5), 48, stepped, SEED, NOW))
        .isEqualTo(new Decision(50, Direction.UP, 1.104167, "utilisation 1.10 over 5s, 5.0 clients waiting in every sample"));
    Decision atMax = PoolSizingPolicy.decide(steady(50, 50, 20), 50, stepped, SEED, NOW);
    assertThat(atMax.direction()).isEqualTo(Direction.NONE);
    assertThat(atMax.reason()).startsWith("cooling down until");
  }

  @Test
  void waitsForAFullWindowOfSamplesTakenAfterTheLastStep() {
    var samples = steady(10, 10, 0);
    // only 3 samples in the window: not enough to act on
    Decision partial = decide(samples.subList(3, 6), 10);
    assertThat(partial.direction()).isEqualTo(Direction.NONE);
    assertThat(partial.reason()).isEqualTo("window not full (3 of 6 samples)");
    // samples from before the last step do not count, even inside the window
    var settings = new PoolSettings(5, 50, 10, 0.8, 0.3, 5, 2, Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(10),
        Duration.ofSeconds(10), Duration.ofSeconds(60));
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
    var settings = new PoolSettings(2, 100, 4, 0.5, 0.1, 10, 3, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ZERO,
        Duration.ZERO, Duration.ofSeconds(1));
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
      assertCooldowns(d, samples, last, SEED);
    }
  }

  /** No step within the scale-up cooldown; within the cooldown only a scale-up, and only with a queue throughout. */
  private static void assertCooldowns(Decision d, List<PoolSample> samples, Optional<Instant> last, PoolSettings settings) {
    if (last.isEmpty() || !d.changes()) {
      return;
    }
    Instant step = last.get();
    assertThat(NOW).isAfterOrEqualTo(step.plus(settings.scaleUpCooldown()));
    if (NOW.isBefore(step.plus(settings.cooldown()))) {
      assertThat(d.direction()).isEqualTo(Direction.UP);
      var recent = samples.stream().filter(s -> s.at().isAfter(step) && !s.at().isBefore(NOW.minus(settings.scaleUpCooldown())))
          .toList();
      assertThat(recent).hasSizeGreaterThanOrEqualTo(settings.samplesPerScaleUp()).allMatch(s -> s.clientsWaiting() > 0);
    }
  }

  @Test
  void samplesEveryIntervalAndAtEveryWakeUpWhileClientsQueue() {
    // SEED wakes up every 5s (scale-up cooldown) and samples every 10s unless clients queue
    assertThat(PoolSizingPolicy.sampleDue(Optional.empty(), SEED, NOW)).isTrue();
    var calm = sample(NOW.minusSeconds(5), 10, 10, 0);
    assertThat(PoolSizingPolicy.sampleDue(Optional.of(calm), SEED, NOW)).isFalse();
    // half a wake-up period early counts as due (wake-ups drift late, never early); earlier does not
    assertThat(PoolSizingPolicy.sampleDue(Optional.of(calm), SEED, NOW.plusMillis(2_500))).isTrue();
    assertThat(PoolSizingPolicy.sampleDue(Optional.of(calm), SEED, NOW.plusMillis(2_499))).isFalse();
    assertThat(PoolSizingPolicy.sampleDue(Optional.of(calm), SEED, NOW.plusSeconds(5))).isTrue();
    // clients queueing and room to grow: sample at every wake-up
    var queueing = sample(NOW.minusSeconds(5), 10, 10, 1);
    assertThat(PoolSizingPolicy.sampleDue(Optional.of(queueing), SEED, NOW)).isTrue();
    // at maxSize a quick step is impossible: back to the sample interval
    var atMax = sample(NOW.minusSeconds(5), 50, 50, 9);
    assertThat(PoolSizingPolicy.sampleDue(Optional.of(atMax), SEED, NOW)).isFalse();
    // when the scale-up cooldown is not shorter than the interval, every wake-up is a sample interval
    var everyTick = sample(NOW.minusSeconds(10), 10, 1, 0);
    assertThat(PoolSizingPolicy.sampleDue(Optional.of(everyTick), QUICK_10S, NOW)).isTrue();
    assertThat(PoolSizingPolicy.sampleDue(Optional.of(everyTick), QUICK_10S, NOW.minusMillis(5_001))).isFalse();
  }

  /** The same with uneven sampling, short cooldowns and queues that come and go. */
  @Test
  void randomisedCooldownInvariants() {
    var random = new Random(7);
    var settings = new PoolSettings(5, 50, 10, 0.8, 0.3, 5, 2, Duration.ofSeconds(2), Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(4), Duration.ofSeconds(10));
    int quick = 0;
    for (int run = 0; run < 5000; run++) {
      int size = 5 + random.nextInt(46);
      List<PoolSample> samples = new ArrayList<>();
      for (long ms = 12_000 - random.nextInt(2000); ms >= 0; ms -= 1000 + random.nextInt(2500)) {
        int active = random.nextInt(size + 1);
        samples.add(sample(NOW.minusMillis(ms), size, active, random.nextBoolean() ? random.nextInt(10) : 0));
      }
      Optional<Instant> last = random.nextInt(4) == 0 ? Optional.empty() : Optional.of(NOW.minusMillis(random.nextInt(40_000)));
      Decision d = PoolSizingPolicy.decide(samples, size, last, settings, NOW);
      assertThat(d.size() - size).isBetween(-2, 5);
      assertThat(d.size()).isBetween(5, 50);
      assertCooldowns(d, samples, last, settings);
      if (d.direction() == Direction.UP && d.reason().endsWith("in every sample")) {
        quick++;
      }
    }
    assertThat(quick).as("the quick path was exercised").isGreaterThan(50);
  }

  private static PoolSettings withIdleTimeout(Duration idle) {
    return new PoolSettings(5, 50, 10, 0.8, 0.3, 5, 2, Duration.ofSeconds(10), Duration.ofSeconds(60),
        Duration.ofSeconds(120), Duration.ofSeconds(10), idle);
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
    assertThat(SEED.samplesPerScaleUp()).isEqualTo(1);
    assertThat(QUICK_10S.samplesPerScaleUp()).isEqualTo(1);
    assertThat(SEED.scaleUpCooldown()).isEqualTo(Duration.ofSeconds(5));
    assertThat(SEED.loopPeriod()).isEqualTo(Duration.ofSeconds(5));
    assertThat(QUICK_10S.loopPeriod()).isEqualTo(Duration.ofSeconds(10));
    assertThat(new PoolSettings(5, 50, 10, 0.8, 0.3, 5, 2, Duration.ofSeconds(10), Duration.ofSeconds(60),
        Duration.ofSeconds(120), Duration.ofSeconds(30), Duration.ofSeconds(60)).loopPeriod()).isEqualTo(Duration.ofSeconds(10));
    assertThat(SEED.serverIdleTimeoutSetting()).isEqualTo("60");
    assertThat(withIdleTimeout(Duration.ofMillis(1500)).serverIdleTimeoutSetting()).isEqualTo("1.5");
    assertThat(withIdleTimeout(Duration.ofMillis(1)).serverIdleTimeoutSetting()).isEqualTo("0.001");
    assertThat(withIdleTimeout(Duration.ofMinutes(10)).serverIdleTimeoutSetting()).isEqualTo("600");
    assertThatThrownBy(() -> withIdleTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("serverIdleTimeout");
    // the spec's values, and the seed defaults where the CRD default was not applied
    var spec = new PoolerSpec(true, null, 5, 50, 10, 0.8, 0.3, 5, 2, "500ms", "1s", "1s", "500ms", "1500ms", 1000, null, null);
    var fromSpec = PoolSettings.from(spec);
    assertThat(fromSpec.scaleUpCooldown()).isEqualTo(Duration.ofMillis(500));
    assertThat(fromSpec.samplesPerScaleUp()).isEqualTo(1);
    assertThat(fromSpec.serverIdleTimeoutSetting()).isEqualTo("1.5");
    var empty = new PoolerSpec(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    assertThat(PoolSettings.from(empty)).isEqualTo(SEED);
    assertThatThrownBy(() -> new PoolSettings(10, 50, 5, 0.8, 0.3, 5, 2, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ZERO,
        Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new PoolSettings(5, 50, 10, 0.3, 0.8, 5, 2, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ZERO,
        Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

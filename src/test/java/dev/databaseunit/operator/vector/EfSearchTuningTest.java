package dev.databaseunit.operator.vector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

class EfSearchTuningTest {
  private static final double TARGET = 0.95;

  /** Runs the search against a recall curve as the probe does, checking each step; returns the decision and the points. */
  private static Outcome search(IntToDoubleFunction curve, int floor, int cap) {
    var measured = new TreeMap<Integer, Double>();
    int top = Math.max(floor, cap);
    // Doubling from the floor to the cap, then bisection: a bound on the points that a broken search would exceed.
    int bound = 32 - Integer.numberOfLeadingZeros(Math.max(1, top / floor)) + 2 + 32 - Integer.numberOfLeadingZeros(top);
    while (true) {
      EfSearchTuning.Step step = EfSearchTuning.next(measured, TARGET, floor, cap);
      if (!(step instanceof EfSearchTuning.Measure(int ef))) {
        return new Outcome(step, measured);
      }
      assertThat(ef).as("within [floor, cap]").isBetween(floor, top);
      assertThat(measured).as("never measured twice").doesNotContainKey(ef);
      measured.put(ef, curve.applyAsDouble(ef));
      assertThat(measured.size()).as("points for floor %d cap %d", floor, cap).isLessThanOrEqualTo(bound);
    }
  }

  private record Outcome(EfSearchTuning.Step step, TreeMap<Integer, Double> measured) {}

  @Test
  void onAMonotoneCurveFindsTheThresholdWithinAQuarterOrReportsItUnreachable() {
    for (int floor = 1; floor <= 48; floor += 1) {
      for (int cap = floor; cap <= 260; cap += 7) {
        for (int threshold = 1; threshold <= cap + 1; threshold++) {
          int t = threshold;
          var outcome = search(ef -> ef >= t ? 0.97 : 0.90 + ef * 1e-5, floor, cap);
          if (t > cap) {
            assertThat(outcome.step()).isEqualTo(new EfSearchTuning.Unreachable(outcome.measured().lastKey(),
                outcome.measured().lastEntry().getValue()));
            assertThat(outcome.measured().lastKey()).isEqualTo(cap);
          } else {
            var met = (EfSearchTuning.Met) outcome.step();
            int lowest = Math.max(t, floor);
            assertThat(met.efSearch()).as("floor %d cap %d threshold %d", floor, cap, t)
                .isBetween(lowest, Math.min(cap, lowest + Math.max(1, lowest / 4)));
            assertThat(met.recall()).isEqualTo(0.97);
          }
        }
      }
    }
  }

  @Test
  void onANoisyCurveTheAnswerIsAMeasuredPointThatMeetsWithAMissJustBelowIt() {
    var random = new Random(7);
    for (int run = 0; run < 20_000; run++) {
      int floor = 1 + random.nextInt(80);
      int cap = floor + random.nextInt(900);
      var curve = new TreeMap<Integer, Double>();
      var outcome = search(ef -> curve.computeIfAbsent(ef, x -> 0.85 + random.nextDouble() * 0.15), floor, cap);
      var points = outcome.measured();
      switch (outcome.step()) {
        case EfSearchTuning.Met met -> {
          assertThat(points.get(met.efSearch())).isEqualTo(met.recall()).isGreaterThanOrEqualTo(TARGET);
          Integer below = points.lowerKey(met.efSearch());
          assertThat(met.efSearch() == floor || points.get(below) < TARGET).isTrue();
          assertThat(met.efSearch() == floor || met.efSearch() - below <= Math.max(1, below / 4)).isTrue();
        }
        case EfSearchTuning.Unreachable none -> {
          assertThat(points.lastKey()).isEqualTo(cap);
          assertThat(points.values()).allMatch(r -> r < TARGET);
          assertThat(none.recall()).isEqualTo(points.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow());
          assertThat(points.headMap(none.efSearch()).values()).allMatch(r -> r < none.recall());
        }
        case EfSearchTuning.Measure m -> throw new AssertionError("search returned a measure step: " + m);
      }
    }
  }

  @Test
  void theSeedsFloorIsKeptWhenItMeetsAndTheFirstStepIsTheFloor() {
    assertThat(EfSearchTuning.next(Map.of(), TARGET, 40, 400)).isEqualTo(new EfSearchTuning.Measure(40));
    assertThat(EfSearchTuning.next(Map.of(40, 0.95), TARGET, 40, 400)).isEqualTo(new EfSearchTuning.Met(40, 0.95));
    assertThat(EfSearchTuning.next(Map.of(40, 0.90), TARGET, 40, 400)).isEqualTo(new EfSearchTuning.Measure(80));
    assertThat(EfSearchTuning.next(Map.of(40, 0.90, 80, 0.96), TARGET, 40, 400)).isEqualTo(new EfSearchTuning.Measure(60));
    assertThat(EfSearchTuning.next(Map.of(40, 0.90, 80, 0.96, 60, 0.94), TARGET, 40, 400)).isEqualTo(new EfSearchTuning.Measure(70));
    assertThat(EfSearchTuning.next(Map.of(40, 0.90, 80, 0.96, 60, 0.94, 70, 0.93), TARGET, 40, 400))
        .as("within a quarter of 70").isEqualTo(new EfSearchTuning.Met(80, 0.96));
    assertThat(EfSearchTuning.next(Map.of(40, 0.9, 80, 0.9, 160, 0.9, 320, 0.9), TARGET, 40, 400)).isEqualTo(new EfSearchTuning.Measure(400));
  }

  @Test
  void aPinnedValueIsMeasuredOnceAndPointsOutsideTheRangeAreIgnored() {
    assertThat(EfSearchTuning.next(Map.of(), TARGET, 200, 200)).isEqualTo(new EfSearchTuning.Measure(200));
    assertThat(EfSearchTuning.next(Map.of(200, 0.93), TARGET, 200, 0)).isEqualTo(new EfSearchTuning.Unreachable(200, 0.93));
    // Points from a wider range measured before: the one above the cap and the one below the floor do not count.
    assertThat(EfSearchTuning.next(Map.of(20, 0.99, 40, 0.90, 800, 0.99), TARGET, 40, 400)).isEqualTo(new EfSearchTuning.Measure(80));
    // Met above the floor with nothing below it measured: the floor first.
    assertThat(EfSearchTuning.next(Map.of(160, 0.99), TARGET, 40, 400)).isEqualTo(new EfSearchTuning.Measure(40));
    // The best of an unreachable curve is its highest recall, the smallest ef_search among equals.
    assertThat(EfSearchTuning.next(Map.of(40, 0.90, 80, 0.92, 160, 0.92, 320, 0.91, 400, 0.90), TARGET, 40, 400))
        .isEqualTo(new EfSearchTuning.Unreachable(80, 0.92));
    assertThatThrownBy(() -> EfSearchTuning.next(Map.of(), TARGET, 0, 10)).isInstanceOf(IllegalArgumentException.class);
  }
}

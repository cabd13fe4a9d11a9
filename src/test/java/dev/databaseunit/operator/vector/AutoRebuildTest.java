package dev.databaseunit.operator.vector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.ApplyIn;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.AutoRebuildStatus;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.VectorIndexStatus;
import dev.databaseunit.operator.api.v1alpha1.VectorIndexSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AutoRebuildTest {
  private static final Instant NOW = Instant.parse("2026-03-01T04:00:00Z");
  private static final HnswParameters SEED = graph(16, 64);

  private static HnswParameters graph(int m, int efConstruction) {
    return new HnswParameters("embedding", "vector_cosine_ops", m, efConstruction);
  }

  private static VectorIndexSpec entry(Integer m, Integer efConstruction, Boolean autoRebuild) {
    return new VectorIndexSpec("idx", "recipe_embeddings", "embedding", 1536, null, m, efConstruction, null, null,
        ApplyIn.MaintenanceWindow, 0.95, 400, autoRebuild);
  }

  private static RecallProbe.Result probe(boolean met, double recall) {
    var curve = new TreeMap<Integer, Double>();
    curve.put(400, recall);
    return new RecallProbe.Result(NOW, new RecallProbe.Range(0.95, 40, 400), 30, 400, met, recall, 1, 2, curve, 60, 100, 0);
  }

  private static VectorIndexStatus status(AutoRebuildStatus chosen) {
    return new VectorIndexStatus("idx", "Ready", null, 16, 64, 400, null, null, null, null, null, null, null, null, chosen);
  }

  @ParameterizedTest(name = "m {0}, efConstruction {1} -> m {2}, efConstruction {3}")
  @CsvSource({"16, 64, 24, 128", "24, 128, 32, 256", "32, 256, 40, 512", "40, 512, 48, 512", "48, 512, -1, -1",
      "2, 4, 10, 20", "48, 100, 48, 200", "60, 200, 60, 400", "16, 900, 24, 900", "100, 1000, -1, -1"})
  void eachStepDoublesEfConstructionAndAddsEightToMWithinTheLimitsNeverLowering(int m, int ef, int nextM, int nextEf) {
    var next = AutoRebuild.stronger(graph(m, ef));
    if (nextM < 0) {
      assertThat(next).isEmpty();
    } else {
      assertThat(next).hasValueSatisfying(p -> {
        assertThat(p.m()).isEqualTo(nextM);
        assertThat(p.efConstruction()).isEqualTo(nextEf).isGreaterThanOrEqualTo(2 * p.m());
      });
    }
  }

  @Test
  void fromTheSeedTheStepsEndAtTheLimitsAfterFour() {
    List<HnswParameters> steps = new ArrayList<>();
    HnswParameters current = SEED;
    for (var next = AutoRebuild.stronger(current); next.isPresent(); next = AutoRebuild.stronger(current)) {
      current = next.get();
      steps.add(current);
    }
    assertThat(steps).extracting(HnswParameters::m).containsExactly(24, 32, 40, 48);
    assertThat(steps).extracting(HnswParameters::efConstruction).containsExactly(128, 256, 512, 512);
  }

  @Test
  void aMissedTargetOnTheDesiredGraphChoosesTheNextStep() {
    var chosen = AutoRebuild.decide(entry(16, 64, true), SEED, SEED, probe(false, 0.90), null, NOW);
    assertThat(chosen).extracting(AutoRebuildStatus::m, AutoRebuildStatus::efConstruction, AutoRebuildStatus::decidedAt)
        .containsExactly(24, 128, NOW.toString());
    assertThat(chosen.message()).isEqualTo("recall@10 0.90 at ef_search 400 is below the target 0.95 with m 16, efConstruction 64; "
        + "the next MaintenanceWindow rebuilds it with m 24, efConstruction 128");
  }

  @Test
  void nothingNewIsLearntWhileTheTargetIsMetNoProbeFinishedOrTheChosenGraphIsNotBuiltYet() {
    var pending = new AutoRebuildStatus(24, 128, "chosen", NOW.minusSeconds(60).toString());
    var spec = entry(16, 64, true);
    assertThat(AutoRebuild.decide(spec, SEED, SEED, probe(true, 0.97), pending, NOW)).isSameAs(pending);
    assertThat(AutoRebuild.decide(spec, SEED, SEED, null, pending, NOW)).isSameAs(pending);
    assertThat(AutoRebuild.decide(spec, SEED, SEED, RecallProbe.Result.nothingToMeasure(NOW, new RecallProbe.Range(0.95, 40, 400), 0),
        pending, NOW)).isSameAs(pending);
    // The window has not built m 24 yet: the probe measured the old graph, which says nothing about the new one.
    assertThat(AutoRebuild.decide(spec, graph(24, 128), SEED, probe(false, 0.9), pending, NOW)).isSameAs(pending);
  }

  @Test
  void atTheLimitsItSaysSoOnceAndWithoutAutoRebuildItHoldsNothing() {
    var top = graph(48, 512);
    var spec = entry(16, 64, true);
    var stopped = AutoRebuild.decide(spec, top, top, probe(false, 0.91), new AutoRebuildStatus(48, 512, "chosen", "t0"), NOW);
    assertThat(stopped).extracting(AutoRebuildStatus::m, AutoRebuildStatus::efConstruction).containsExactly(48, 512);
    assertThat(stopped.message()).endsWith("autoRebuild stops at m 48, efConstruction 512: raise maxEfSearch, lower targetRecall "
        + "or change the data's index");
    assertThat(AutoRebuild.decide(spec, top, top, probe(false, 0.91), stopped, NOW.plusSeconds(60))).isSameAs(stopped);
    assertThat(AutoRebuild.decide(entry(16, 64, false), SEED, SEED, probe(false, 0.9), stopped, NOW)).isNull();
    assertThat(AutoRebuild.decide(entry(16, 64, null), SEED, SEED, probe(false, 0.9), null, NOW)).isNull();
  }

  @Test
  void theEffectiveEntryTakesTheHigherOfTheDeclaredAndTheChosenGraph() {
    var chosen = status(new AutoRebuildStatus(24, 128, "chosen", "t0"));
    assertThat(HnswParameters.of(AutoRebuild.effective(entry(16, 64, true), chosen))).isEqualTo(graph(24, 128));
    assertThat(HnswParameters.of(AutoRebuild.effective(entry(32, 100, true), chosen))).isEqualTo(graph(32, 128));
    assertThat(HnswParameters.of(AutoRebuild.effective(entry(null, null, true), chosen))).isEqualTo(graph(24, 128));
    // Turned off (or nothing chosen yet): the entry as declared.
    var off = entry(16, 64, false);
    assertThat(AutoRebuild.effective(off, chosen)).isSameAs(off);
    var none = entry(16, 64, true);
    assertThat(AutoRebuild.effective(none, status(null))).isSameAs(none);
    assertThat(AutoRebuild.effective(none, null)).isSameAs(none);
  }
}

package dev.databaseunit.operator.vector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.RecallPoint;
import java.time.Instant;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class RecallReportTest {
  private static final Instant NOW = Instant.parse("2026-03-01T04:00:00Z");
  private static final HnswParameters SEED = new HnswParameters("embedding", "vector_cosine_ops", 16, 64);

  private static RecallProbe.Result result(RecallProbe.Range range, int efSearch, boolean met, double... curve) {
    var points = new TreeMap<Integer, Double>();
    for (int i = 0; i < curve.length; i += 2) {
      points.put((int) curve[i], curve[i + 1]);
    }
    return new RecallProbe.Result(NOW, range, 10, efSearch, met, points.get(efSearch), 1.0, 2.0, points, 10 * (1 + points.size()),
        1234, 5000);
  }

  @Test
  void aMetTargetReportsTheChoiceTheCurveAndTheProbesCost() {
    var status = RecallReport.status(result(new RecallProbe.Range(0.95, 40, 400), 60, true, 40, 0.93, 80, 0.97, 60, 0.96), SEED);
    assertThat(status.reason()).isEqualTo("RecallTargetMet");
    assertThat(status.message()).isEqualTo("recall@10 0.96 at ef_search 60 meets the target 0.95 (measured 40: 0.93, 60: 0.96, 80: 0.97)");
    assertThat(status.curve()).containsExactly(new RecallPoint(40, 0.93), new RecallPoint(60, 0.96), new RecallPoint(80, 0.97));
    assertThat(status).extracting("targetRecall", "minEfSearch", "maxEfSearch", "probeQueries", "probeMillis", "writesAtProbe")
        .containsExactly(0.95, 40, 400, 40, 1234L, 5000L);
    assertThat(status).extracting("m", "efConstruction").containsExactly(16, 64);
  }

  @Test
  void anUnreachableTargetAdvisesAStrongerGraphAndAPinnedValueAlsoItsOwnChange() {
    var searched = result(new RecallProbe.Range(0.95, 40, 400), 40, false, 40, 0.90, 80, 0.90, 160, 0.90, 320, 0.90, 400, 0.90);
    assertThat(RecallReport.status(searched, SEED).reason()).isEqualTo("RecallTargetUnreachable");
    assertThat(RecallReport.message(searched, SEED)).isEqualTo("no ef_search from 40 to 400 reaches recall@10 0.95: best 0.90 at "
        + "ef_search 40 (measured 40: 0.90, 80: 0.90, 160: 0.90, 320: 0.90, 400: 0.90); the graph misses neighbours that a longer "
        + "search does not find: rebuild with efConstruction 128 (now 64) or m 24 (now 16)");
    var pinned = result(new RecallProbe.Range(0.99, 200, 200), 200, false, 200, 0.97);
    assertThat(RecallReport.message(pinned, new HnswParameters("embedding", "vector_cosine_ops", 96, 600))).isEqualTo(
        "ef_search 200, the only one allowed, does not reach recall@10 0.99: best 0.97 at ef_search 200 (measured 200: 0.97); allow "
        + "more (raise efSearch, or remove it and let the probe tune up to maxEfSearch) or rebuild with efConstruction 1000 (now 600) "
        + "or m 100 (now 96)");
    assertThat(RecallReport.status(pinned, SEED).message()).endsWith("rebuild with a higher efConstruction or m");
    assertThat(RecallReport.status(pinned, SEED).maxEfSearch()).isEqualTo(200);
  }

  @Test
  void aTableWithoutVectorsReportsThatAndItsWriteCounter() {
    var status = RecallReport.status(RecallProbe.Result.nothingToMeasure(NOW, new RecallProbe.Range(0.95, 40, 400), 7), SEED);
    assertThat(status).extracting("reason", "message", "writesAtProbe", "probeQueries").containsExactly("NoVectors",
        "the table has no vectors to measure", 7L, 0);
    assertThat(status.curve()).isEmpty();
  }
}

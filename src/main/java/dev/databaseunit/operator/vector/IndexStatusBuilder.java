package dev.databaseunit.operator.vector;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.AutoRebuildStatus;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.RecallTuningStatus;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.VectorIndexStatus;
import dev.databaseunit.operator.api.v1alpha1.VectorIndexSpec;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;

/** The status of one index: the serving index's facts from the catalog, the measurements carried over. */
final class IndexStatusBuilder {
  private final String name;
  private int efSearch;
  private RecallTuningStatus tuning;
  private final Optional<IndexPlan.Observed> current;
  private final Long sizeBytes;
  private String state;
  private Integer progress;
  private Double recall;
  private Double p50;
  private Double p95;
  private String lastProbe;
  private String lastAnalyze;
  private AutoRebuildStatus autoRebuild;

  IndexStatusBuilder(VectorIndexSpec spec, VectorIndexStatus before, int efSearch, Optional<IndexPlan.Observed> current,
      Connection connection) throws SQLException {
    this.name = spec.name();
    this.efSearch = efSearch;
    this.current = current;
    this.sizeBytes = current.isPresent() ? VectorCatalog.sizeBytes(connection, current.get().oid()) : null;
    if (before != null) {
      recall = before.recallAtK();
      p50 = before.p50LatencyMillis();
      p95 = before.p95LatencyMillis();
      lastProbe = before.lastProbeTime();
      lastAnalyze = before.lastAnalyzeTime();
      tuning = before.recallTuning();
      // Only while the entry asks for it: turned off, the index goes back to the entry's own parameters.
      autoRebuild = Boolean.TRUE.equals(spec.autoRebuild()) ? before.autoRebuild() : null;
    }
  }

  IndexStatusBuilder state(String value) {
    state = value;
    return this;
  }

  IndexStatusBuilder progress(OptionalInt percent) {
    progress = percent.isPresent() ? percent.getAsInt() : null;
    return this;
  }

  IndexStatusBuilder lastAnalyze(Instant time) {
    lastAnalyze = time != null ? time.toString() : null;
    return this;
  }

  IndexStatusBuilder probe(RecallProbe.Result result, HnswParameters probed) {
    lastProbe = result.time().toString();
    if (result.queries() > 0) {
      recall = result.recallAtK();
      p50 = result.p50Millis();
      p95 = result.p95Millis();
      efSearch = result.efSearch();
    }
    tuning = RecallReport.status(result, probed);
    return this;
  }

  RecallTuningStatus tuning() {
    return tuning;
  }

  AutoRebuildStatus autoRebuild() {
    return autoRebuild;
  }

  IndexStatusBuilder autoRebuild(AutoRebuildStatus value) {
    autoRebuild = value;
    return this;
  }

  VectorIndexStatus build() {
    var parameters = current.map(IndexPlan.Observed::parameters);
    return new VectorIndexStatus(name, state, parameters.map(HnswParameters::opclass).orElse(null),
        parameters.map(HnswParameters::m).orElse(null), parameters.map(HnswParameters::efConstruction).orElse(null),
        efSearch, sizeBytes, progress, recall, p50, p95, lastProbe, lastAnalyze, tuning, autoRebuild);
  }

  /** An entry whose index is not there (or could not be looked at). */
  static VectorIndexStatus absent(VectorIndexSpec spec) {
    return new VectorIndexStatus(spec.name(), VectorIndexState.ABSENT, null, null, null, null, null, null, null, null,
        null, null, null, null, null);
  }
}

package dev.databaseunit.operator.vector;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.RecallTuningStatus;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.VectorIndexStatus;
import dev.databaseunit.operator.api.v1alpha1.VectorIndexSpec;
import dev.databaseunit.operator.databaseunit.UnitContext;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.postgres.SqlIdentifier;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * The recall side of a ready index: a {@link RecallProbe} on the entry's interval, after each build, when the target or
 * range changes and when writes have drifted the graph ({@link RecallDrift}); the probe runs on the unit's
 * {@link IndexJobs} thread, and its result comes back into status with its Events on the next reconcile. The
 * {@code hnsw.ef_search} chosen is set for the application's role ({@link #applyEfSearch}).
 */
public final class RecallTuner {
  /** The floor of the search and the value before the first probe: the seed's and pgvector's default. */
  static final int DEFAULT_EF_SEARCH = 40;
  static final int DEFAULT_MAX_EF_SEARCH = 400;
  static final double DEFAULT_TARGET_RECALL = 0.95;
  /**
   * Query vectors per probe. On clustered data a few queries in a dozen can miss their cluster entirely (recall 0):
   * 10 queries then miss all of them about half the time (bench/results/vector.md), 30 about one time in twelve.
   */
  public static final int PROBE_QUERIES = 30;
  private static final int PROBE_K = 10;

  private final EventRecorder events;
  private final Clock clock;
  private final Duration probeInterval;
  private final VectorMetrics metrics;
  private final IndexJobs jobs;
  private final RecallProbe probe = new RecallProbe(PROBE_QUERIES, PROBE_K, new Random());
  /** Indexes built or swapped by this process, probed as soon as they are ready. */
  private final Set<String> probeRequested = ConcurrentHashMap.newKeySet();
  private final Map<String, Probed> probeResults = new ConcurrentHashMap<>();
  /** Scans the probes made, kept out of the efficiency gauge (an exact scan is a sequential scan). */
  private final Map<String, long[]> probeScans = new ConcurrentHashMap<>();

  /** A finished probe and the graph it measured (the index may have been swapped since it started). */
  private record Probed(RecallProbe.Result result, HnswParameters parameters) {}

  RecallTuner(EventRecorder events, Clock clock, Duration probeInterval, VectorMetrics metrics, IndexJobs jobs) {
    this.events = events;
    this.clock = clock;
    this.probeInterval = probeInterval;
    this.metrics = metrics;
    this.jobs = jobs;
  }

  /** Until a probe chooses: the fixed value, else what the last probe chose, else the floor. */
  static int efSearch(VectorIndexSpec spec, VectorIndexStatus before) {
    return spec.efSearch() != null ? spec.efSearch()
        : before != null && before.recallTuning() != null && before.efSearch() != null ? before.efSearch() : DEFAULT_EF_SEARCH;
  }

  /** The index was built or swapped: probe it as soon as it is ready. */
  void requestProbe(String key) {
    probeRequested.add(key);
  }

  /**
   * Folds a finished probe into {@code status} (with autoRebuild's next step) and starts the next one when due.
   *
   * @param desired the graph the index should have (the entry's parameters, raised by autoRebuild)
   * @return how long until a probe is due again ({@code poll} when one was just started)
   */
  Duration tune(UnitContext context, DataSource dataSource, Connection connection, VectorIndexSpec spec, VectorTable table,
      HnswParameters desired, IndexPlan.Observed index, IndexStatusBuilder status, VectorIndexStatus before, Instant now,
      Duration poll) throws SQLException {
    String key = IndexJobs.key(context.unitKey(), spec.name());
    RecallProbe.Range range = range(spec);
    Probed probed = probeResults.remove(key);
    RecallProbe.Result result = probed != null ? probed.result() : null;
    if (probed != null) {
      status.probe(result, probed.parameters());
      announce(context, spec, probed.parameters(), before, result);
      var chosen = AutoRebuild.decide(spec, desired, probed.parameters(), result, status.autoRebuild(), now);
      if (chosen != null && !chosen.equals(status.autoRebuild())) {
        events.record(context.unit(), EventRecorder.Type.Normal, EventReason.VectorIndexAutoRebuildPlanned,
            "vectorIndexes " + spec.name() + ": " + chosen.message());
      }
      status.autoRebuild(chosen);
    }
    Instant lastProbe = result != null ? result.time()
        : before != null && before.lastProbeTime() != null ? Instant.parse(before.lastProbeTime()) : null;
    RecallTuningStatus tuning = status.tuning();
    boolean due = probeRequested.contains(key) || lastProbe == null || !now.isBefore(lastProbe.plus(probeInterval))
        || tuning == null || !range.equals(rangeOf(tuning)) || rebuiltSince(tuning, index.parameters())
        || RecallDrift.stale(tuning.writesAtProbe(), VectorCatalog.writes(connection, table.oid()),
            VectorCatalog.liveRows(connection, table.oid()));
    if (!due) {
      return Duration.between(now, lastProbe.plus(probeInterval));
    }
    startProbe(context.unitKey(), dataSource, spec, table, index.parameters(), range);
    return poll;
  }

  /** The index-efficiency gauge, from the scans the application made (the probes' own left out). */
  void recordEfficiency(String unitKey, String name, Connection connection, IndexPlan.Observed index) throws SQLException {
    long[] scans = VectorCatalog.scanCounts(connection, index.oid());
    long[] ours = probeScans.getOrDefault(IndexJobs.key(unitKey, name), new long[2]);
    metrics.efficiency(unitKey, name, RecallMath.indexEfficiency(Math.max(0, scans[0] - ours[0]), Math.max(0, scans[1] - ours[1])));
  }

  private void startProbe(String unitKey, DataSource dataSource, VectorIndexSpec spec, VectorTable table, HnswParameters parameters,
      RecallProbe.Range range) {
    String key = IndexJobs.key(unitKey, spec.name());
    jobs.start(unitKey, spec.name(), null, "recall probe", dataSource, c -> {
      // An empty table has nothing to measure; the probe is due again at the next interval, or once rows are written.
      RecallProbe.Result measured = probe.tune(c, table, parameters, range, clock.instant(),
          latency -> metrics.searchLatency(unitKey, spec.name(), latency));
      probeRequested.remove(key);
      long indexScans = (long) measured.queries() * measured.curve().size();
      probeScans.merge(key, new long[] {indexScans, measured.queries()}, (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
      if (measured.queries() > 0) {
        metrics.recall(unitKey, spec.name(), measured.recallAtK());
      }
      probeResults.put(key, new Probed(measured, parameters));
    });
  }

  /** The search range of an entry: its fixed efSearch alone, else the seed's 40 up to maxEfSearch. */
  static RecallProbe.Range range(VectorIndexSpec spec) {
    double target = spec.targetRecall() != null ? spec.targetRecall() : DEFAULT_TARGET_RECALL;
    if (spec.efSearch() != null) {
      return new RecallProbe.Range(target, spec.efSearch(), spec.efSearch());
    }
    return new RecallProbe.Range(target, DEFAULT_EF_SEARCH, spec.maxEfSearch() != null ? spec.maxEfSearch() : DEFAULT_MAX_EF_SEARCH);
  }

  /** The serving graph is not the one last probed (a window swapped a rebuilt index in); unknown for older statuses. */
  private static boolean rebuiltSince(RecallTuningStatus tuning, HnswParameters serving) {
    return tuning.m() != null && tuning.efConstruction() != null
        && (tuning.m() != serving.m() || tuning.efConstruction() != serving.efConstruction());
  }

  private static RecallProbe.Range rangeOf(RecallTuningStatus tuning) {
    return new RecallProbe.Range(tuning.targetRecall(), tuning.minEfSearch(), tuning.maxEfSearch());
  }

  /** Events for what a probe found: another ef_search chosen, or the target out of reach. */
  private void announce(UnitContext context, VectorIndexSpec spec, HnswParameters parameters, VectorIndexStatus before,
      RecallProbe.Result result) {
    if (result.queries() == 0) {
      return;
    }
    String prefix = "vectorIndexes " + spec.name() + ": ";
    if (!result.met()) {
      events.record(context.unit(), EventRecorder.Type.Warning, EventReason.RecallTargetUnreachable,
          prefix + RecallReport.message(result, parameters));
    }
    Integer previous = before != null ? before.efSearch() : null;
    if (previous == null || previous != result.efSearch()) {
      events.record(context.unit(), EventRecorder.Type.Normal, EventReason.EfSearchTuned, String.format(Locale.ROOT,
          "%shnsw.ef_search %s→%d (recall@10 %.2f)", prefix, previous != null ? previous : "unset", result.efSearch(), result.recallAtK()));
    }
  }

  /**
   * New sessions of the application's role in this database get {@code hnsw.ef_search}: one value per role and
   * database, so the highest of the unit's indexes (a higher ef_search only costs latency, never recall). Per role,
   * not per database, so other roles (a reporting user, the operator itself) keep their own. Set only when it
   * differs, so a reconcile is a read. The operator becomes the role for the change (a managed unit's operator role
   * is a member of the application's role and has no CREATEROLE; an external unit's roles are one).
   */
  static void applyEfSearch(Connection connection, String role, int wanted) throws SQLException {
    if (VectorCatalog.roleEfSearch(connection, role).equals(OptionalInt.of(wanted))) {
      return;
    }
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try (Statement s = connection.createStatement()) {
      String database;
      String user;
      try (var rs = s.executeQuery("SELECT current_database(), current_user")) {
        rs.next();
        database = rs.getString(1);
        user = rs.getString(2);
      }
      if (!user.equals(role)) {
        s.execute("SET LOCAL ROLE " + SqlIdentifier.quote(role));
      }
      // The role comes from a Secret and the database from the server: both quoted; wanted is an int.
      s.execute("ALTER ROLE " + SqlIdentifier.quote(role) + " IN DATABASE " + SqlIdentifier.quote(database)
          + " SET hnsw.ef_search = " + wanted);
      connection.commit();
    } catch (SQLException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }

  void unitDeleted(String unitKey) {
    probeRequested.removeIf(k -> k.startsWith(unitKey + "/"));
    probeResults.keySet().removeIf(k -> k.startsWith(unitKey + "/"));
    probeScans.keySet().removeIf(k -> k.startsWith(unitKey + "/"));
  }
}

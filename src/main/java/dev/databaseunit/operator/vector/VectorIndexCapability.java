package dev.databaseunit.operator.vector;

import dev.databaseunit.operator.api.v1alpha1.ApplyIn;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.RecallTuningStatus;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.VectorIndexStatus;
import dev.databaseunit.operator.api.v1alpha1.VectorIndexSpec;
import dev.databaseunit.operator.databaseunit.UnitCapability;
import dev.databaseunit.operator.databaseunit.UnitContext;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.postgres.PostgresTargets;
import dev.databaseunit.operator.postgres.SqlIdentifier;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * Keeps each {@code spec.vectorIndexes[]} entry as a valid HNSW index with the declared parameters (seed:
 * Optimized Vector Search), runs ANALYZE on the entry's schedule, measures recall and latency with a {@link RecallProbe}
 * that also searches for the smallest {@code hnsw.ef_search} meeting the entry's target, and sets that for new
 * sessions of the application's role in the database.
 *
 * <p>Each reconcile validates the entry against the catalog, reads the index as it is (so a restarted operator
 * continues where the database is) and takes one {@link IndexPlan} step. Builds, swaps, drops and probes run
 * on the unit's {@link IndexJobs} thread; the reconcile reports their progress and is rescheduled to look again.
 */
public final class VectorIndexCapability implements UnitCapability, AutoCloseable {
  /** The floor of the search and the value before the first probe: the seed's and pgvector's default. */
  static final int DEFAULT_EF_SEARCH = 40;
  static final int DEFAULT_MAX_EF_SEARCH = 400;
  static final double DEFAULT_TARGET_RECALL = 0.95;
  /** While a job runs, the reconcile looks again this often (build progress in status). */
  static final Duration JOB_POLL = Duration.ofSeconds(3);
  /** Schedules further away than this still get a look this often, for drift (a dropped index, say). */
  private static final Duration LONGEST_WAIT = Duration.ofMinutes(5);
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
  private final Map<String, RecallProbe.Result> probeResults = new ConcurrentHashMap<>();
  /** Scans the probes made, kept out of the efficiency gauge (an exact scan is a sequential scan). */
  private final Map<String, long[]> probeScans = new ConcurrentHashMap<>();

  /** @param probeInterval how often each ready index is probed (also after each build) */
  public VectorIndexCapability(EventRecorder events, MeterRegistry registry, Clock clock, Duration probeInterval) {
    this.events = events;
    this.clock = clock;
    this.jobs = new IndexJobs(clock);
    this.probeInterval = probeInterval;
    this.metrics = new VectorMetrics(registry);
  }

  @Override
  public String name() {
    return "vector-indexes";
  }

  /** What one index contributes to the outcome. */
  private record Report(VectorIndexStatus status, Optional<String> progressing, Duration recheckAfter) {}

  @Override
  public Outcome reconcile(UnitContext context, DatabaseUnitStatus status) {
    List<VectorIndexSpec> specs = Optional.ofNullable(context.unit().getSpec().vectorIndexes()).orElse(List.of());
    metrics.retain(context.unitKey(), specs.stream().map(VectorIndexSpec::name).collect(Collectors.toSet()));
    if (specs.isEmpty()) {
      return Outcome.done(status.withVectorIndexes(null));
    }
    Map<String, VectorIndexStatus> previous = Optional.ofNullable(status.vectorIndexes()).orElse(List.of()).stream()
        .collect(Collectors.toMap(VectorIndexStatus::name, Function.identity(), (a, b) -> a));
    List<VectorIndexStatus> reported = new ArrayList<>();
    List<UnitProblem> problems = new ArrayList<>();
    List<String> progressing = new ArrayList<>();
    List<Integer> validEfSearch = new ArrayList<>();
    Duration recheck = LONGEST_WAIT;
    DataSource dataSource = dev.databaseunit.operator.postgres.TimedDataSource.forPurpose(context.dataSource().orElseThrow(),
        dev.databaseunit.operator.postgres.DatabaseTimeouts.Purpose.VECTOR_INDEXES);
    try (Connection connection = dataSource.getConnection()) {
      for (VectorIndexSpec spec : specs) {
        VectorIndexStatus before = previous.get(spec.name());
        try {
          Report report = reconcileIndex(context, dataSource, connection, spec, before);
          reported.add(report.status());
          metrics.ready(context.unitKey(), spec.name(), VectorIndexState.READY.equals(report.status().state()));
          validEfSearch.add(report.status().efSearch());
          report.progressing().ifPresent(progressing::add);
          recheck = report.recheckAfter().compareTo(recheck) < 0 ? report.recheckAfter() : recheck;
        } catch (UnitProblem problem) {
          problems.add(problem);
          reported.add(before != null ? before : absent(spec));
          metrics.ready(context.unitKey(), spec.name(), false);
        } catch (SQLException e) {
          problems.add(new UnitProblem(EventReason.VectorIndexDatabaseError,
              "vectorIndexes " + spec.name() + ": " + e.getMessage(), e));
          reported.add(before != null ? before : absent(spec));
        }
      }
      // Entries that failed validation do not count: bad input changes nothing in the database.
      if (!validEfSearch.isEmpty()) {
        PostgresTarget application = PostgresTargets.application(context.unit(), context.target().orElseThrow(), context.secrets());
        applyEfSearch(connection, application.username(), validEfSearch.stream().mapToInt(Integer::intValue).max().orElseThrow());
      }
    } catch (UnitProblem problem) {
      problems.add(problem);
    } catch (SQLException e) {
      problems.add(new UnitProblem(EventReason.VectorIndexDatabaseError, "vector indexes: " + e.getMessage(), e));
    }
    var next = status.withVectorIndexes(reported);
    Optional<UnitProblem> problem = problems.isEmpty() ? Optional.empty() : Optional.of(problems.size() == 1 ? problems.getFirst()
        : new UnitProblem(problems.getFirst().reason(), problems.stream().map(Throwable::getMessage).collect(Collectors.joining("; "))));
    return new Outcome(next, problem, progressing.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", progressing)),
        Optional.of(recheck));
  }

  private Report reconcileIndex(UnitContext context, DataSource dataSource, Connection connection, VectorIndexSpec spec,
      VectorIndexStatus before) throws SQLException, UnitProblem {
    VectorTable table = VectorCatalog.validate(connection, spec);
    AnalyzeSchedule schedule;
    try {
      schedule = AnalyzeSchedule.parse(spec.analyzeSchedule() != null ? spec.analyzeSchedule() : "0 0 4 * * ?");
    } catch (IllegalArgumentException e) {
      throw new UnitProblem(EventReason.VectorScheduleInvalid, "vectorIndexes " + spec.name() + ": " + e.getMessage());
    }
    String unitKey = context.unitKey();
    String name = spec.name();
    String key = IndexJobs.key(unitKey, name);
    HnswParameters desired = HnswParameters.of(spec);
    // Until a probe chooses: the fixed value, else what the last probe chose, else the floor.
    int efSearch = spec.efSearch() != null ? spec.efSearch()
        : before != null && before.recallTuning() != null && before.efSearch() != null ? before.efSearch() : DEFAULT_EF_SEARCH;
    Optional<IndexPlan.Observed> current = VectorCatalog.index(connection, table, name);
    var base = new StatusBuilder(spec, before, efSearch, current, connection);

    Optional<IndexJobs.Job> job = jobs.job(unitKey, name);
    if (job.isPresent() && job.get().running()) {
      if (job.get().kind() == null) {
        return new Report(base.state(IndexPlan.state(current)).build(), Optional.empty(), JOB_POLL);
      }
      int pid = job.get().backendPid().get();
      OptionalInt percent = pid > 0 ? VectorCatalog.buildProgress(connection, pid) : OptionalInt.empty();
      base.state(job.get().kind()).progress(percent);
      return new Report(base.build(), Optional.of("vector index " + name + ": " + job.get().description()
          + percent.stream().mapToObj(p -> " (" + p + "%)").findFirst().orElse("")), JOB_POLL);
    }
    if (job.isPresent()) {
      jobs.clear(unitKey, name);
      Optional<Throwable> failure = job.get().failure();
      if (failure.isPresent()) {
        throw new UnitProblem(job.get().kind() == null ? EventReason.VectorIndexDatabaseError : EventReason.VectorIndexBuildFailed,
            "vectorIndexes " + name + ": " + job.get().description() + " failed: " + failure.get().getMessage());
      }
      if (job.get().kind() != null) {
        probeRequested.add(key);
      }
    }

    Optional<IndexPlan.Observed> replacement = VectorCatalog.index(connection, table, IndexPlan.replacementName(name));
    Optional<IndexPlan.Observed> retired = VectorCatalog.index(connection, table, IndexPlan.retiredName(name));
    // A build started by an earlier operator process (or a person) still runs: let it finish, then judge.
    if (isBeingBuilt(connection, current) || isBeingBuilt(connection, replacement)) {
      String state = isBeingBuilt(connection, current) ? VectorIndexState.BUILDING : VectorIndexState.REBUILDING;
      return new Report(base.state(state).build(), Optional.of("vector index " + name + ": a build by another session runs"), JOB_POLL);
    }

    IndexPlan.Step step = spec.rebuildIn() == ApplyIn.MaintenanceWindow
        ? IndexPlan.decideOutsideWindow(desired, current, replacement, retired)
        : IndexPlan.decide(desired, current, replacement, retired);
    String quotedName = table.schema() + "." + name;
    IndexJobs.Work work = c -> IndexDdl.apply(step, c, table, name, desired, current.isPresent());
    IndexJobs.Job started = switch (step) {
      case NOTHING, AWAIT_WINDOW -> null;
      case CREATE -> start(context, dataSource, name, VectorIndexState.BUILDING, "building " + describe(desired),
          EventReason.VectorIndexBuildStarted, work);
      case REPLACE_INVALID -> start(context, dataSource, name, VectorIndexState.BUILDING,
          "replacing the invalid index " + quotedName + " left by an interrupted build", EventReason.VectorIndexInvalidReplaced, work);
      case BUILD_REPLACEMENT -> start(context, dataSource, name, VectorIndexState.REBUILDING,
          "building " + IndexPlan.replacementName(name) + " with " + describe(desired) + " next to the serving index",
          EventReason.VectorIndexRebuildStarted, work);
      case DROP_REPLACEMENT -> start(context, dataSource, name, VectorIndexState.REBUILDING,
          "dropping the stale replacement " + IndexPlan.replacementName(name), null, work);
      case SWAP -> start(context, dataSource, name, VectorIndexState.REBUILDING, "swapping in the rebuilt index",
          EventReason.VectorIndexSwapped, work);
      case DROP_RETIRED -> start(context, dataSource, name, VectorIndexState.REBUILDING,
          "dropping the replaced index " + IndexPlan.retiredName(name), null, work);
    };
    if (started != null) {
      return new Report(base.state(started.kind()).build(), Optional.of("vector index " + name + ": " + started.description()), JOB_POLL);
    }
    return ready(context, dataSource, connection, spec, table, schedule, current.orElseThrow(), base, before);
  }

  private static boolean isBeingBuilt(Connection connection, Optional<IndexPlan.Observed> index) throws SQLException {
    return index.isPresent() && !index.get().valid() && VectorCatalog.isBeingBuilt(connection, index.get().oid());
  }

  /** The index serves as declared: ANALYZE and probe when due, and update the efficiency gauge. */
  private Report ready(UnitContext context, DataSource dataSource, Connection connection, VectorIndexSpec spec, VectorTable table,
      AnalyzeSchedule schedule, IndexPlan.Observed index, StatusBuilder status, VectorIndexStatus before)
      throws SQLException {
    String unitKey = context.unitKey();
    String key = IndexJobs.key(unitKey, spec.name());
    Instant now = clock.instant();
    Instant lastAnalyze = before != null && before.lastAnalyzeTime() != null ? Instant.parse(before.lastAnalyzeTime()) : null;
    if (schedule.isDue(lastAnalyze, now)) {
      IndexDdl.analyze(connection, table);
      lastAnalyze = now;
    }
    status.state(VectorIndexState.READY).lastAnalyze(lastAnalyze);

    RecallProbe.Range range = range(spec);
    RecallProbe.Result result = probeResults.remove(key);
    if (result != null) {
      status.probe(result);
      announce(context, spec, index.parameters(), before, result);
    }
    Instant lastProbe = result != null ? result.time()
        : before != null && before.lastProbeTime() != null ? Instant.parse(before.lastProbeTime()) : null;
    RecallTuningStatus tuning = status.tuning();
    boolean probeDue = probeRequested.contains(key) || lastProbe == null || !now.isBefore(lastProbe.plus(probeInterval))
        || tuning == null || !range.equals(rangeOf(tuning))
        || RecallDrift.stale(tuning.writesAtProbe(), VectorCatalog.writes(connection, table.oid()),
            VectorCatalog.liveRows(connection, table.oid()));
    Duration recheck = schedule.untilNextRun(lastAnalyze, now).orElse(LONGEST_WAIT);
    if (probeDue) {
      startProbe(unitKey, dataSource, spec, table, index.parameters(), range);
      recheck = JOB_POLL;
    } else {
      Duration untilProbe = Duration.between(now, lastProbe.plus(probeInterval));
      recheck = untilProbe.compareTo(recheck) < 0 ? untilProbe : recheck;
    }
    long[] scans = VectorCatalog.scanCounts(connection, index.oid());
    long[] ours = probeScans.getOrDefault(key, new long[2]);
    metrics.efficiency(unitKey, spec.name(), RecallMath.indexEfficiency(Math.max(0, scans[0] - ours[0]), Math.max(0, scans[1] - ours[1])));
    return new Report(status.build(), Optional.empty(), recheck.isNegative() || recheck.isZero() ? JOB_POLL : recheck);
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
      probeResults.put(key, measured);
    });
  }

  private IndexJobs.Job start(UnitContext context, DataSource dataSource, String name, String kind, String description,
      EventReason reason, IndexJobs.Work work) {
    if (reason != null) {
      events.record(context.unit(), EventRecorder.Type.Normal, reason, "vectorIndexes " + name + ": " + description);
    }
    return jobs.start(context.unitKey(), name, kind, description, dataSource, work);
  }

  /** The search range of an entry: its fixed efSearch alone, else the seed's 40 up to maxEfSearch. */
  static RecallProbe.Range range(VectorIndexSpec spec) {
    double target = spec.targetRecall() != null ? spec.targetRecall() : DEFAULT_TARGET_RECALL;
    if (spec.efSearch() != null) {
      return new RecallProbe.Range(target, spec.efSearch(), spec.efSearch());
    }
    return new RecallProbe.Range(target, DEFAULT_EF_SEARCH, spec.maxEfSearch() != null ? spec.maxEfSearch() : DEFAULT_MAX_EF_SEARCH);
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
  private static void applyEfSearch(Connection connection, String role, int wanted) throws SQLException {
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

  private static String describe(HnswParameters p) {
    return p.opclass() + " m=" + p.m() + " ef_construction=" + p.efConstruction();
  }

  private static VectorIndexStatus absent(VectorIndexSpec spec) {
    return new VectorIndexStatus(spec.name(), VectorIndexState.ABSENT, null, null, null, null, null, null, null, null,
        null, null, null, null);
  }

  @Override
  public void unitDeleted(String unitKey) {
    jobs.unitDeleted(unitKey);
    metrics.retain(unitKey, Set.of());
    probeRequested.removeIf(k -> k.startsWith(unitKey + "/"));
    probeResults.keySet().removeIf(k -> k.startsWith(unitKey + "/"));
    probeScans.keySet().removeIf(k -> k.startsWith(unitKey + "/"));
  }

  @Override
  public void close() {
    jobs.close();
  }

  /** The status of one index: the serving index's facts from the catalog, the measurements carried over. */
  private static final class StatusBuilder {
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

    StatusBuilder(VectorIndexSpec spec, VectorIndexStatus before, int efSearch, Optional<IndexPlan.Observed> current,
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
      }
    }

    StatusBuilder state(String value) {
      state = value;
      return this;
    }

    StatusBuilder progress(OptionalInt percent) {
      progress = percent.isPresent() ? percent.getAsInt() : null;
      return this;
    }

    StatusBuilder lastAnalyze(Instant time) {
      lastAnalyze = time != null ? time.toString() : null;
      return this;
    }

    StatusBuilder probe(RecallProbe.Result result) {
      lastProbe = result.time().toString();
      if (result.queries() > 0) {
        recall = result.recallAtK();
        p50 = result.p50Millis();
        p95 = result.p95Millis();
        efSearch = result.efSearch();
      }
      tuning = RecallReport.status(result);
      return this;
    }

    RecallTuningStatus tuning() {
      return tuning;
    }

    VectorIndexStatus build() {
      var parameters = current.map(IndexPlan.Observed::parameters);
      return new VectorIndexStatus(name, state, parameters.map(HnswParameters::opclass).orElse(null),
          parameters.map(HnswParameters::m).orElse(null), parameters.map(HnswParameters::efConstruction).orElse(null),
          efSearch, sizeBytes, progress, recall, p50, p95, lastProbe, lastAnalyze, tuning);
    }
  }
}

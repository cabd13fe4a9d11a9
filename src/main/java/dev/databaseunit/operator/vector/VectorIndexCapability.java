package dev.databaseunit.operator.vector;

import dev.databaseunit.operator.api.v1alpha1.ApplyIn;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.VectorIndexStatus;
import dev.databaseunit.operator.api.v1alpha1.VectorIndexSpec;
import dev.databaseunit.operator.databaseunit.UnitCapability;
import dev.databaseunit.operator.databaseunit.UnitContext;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.events.EventRecorder;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.postgres.PostgresTargets;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
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
  /** While a job runs, the reconcile looks again this often (build progress in status). */
  static final Duration JOB_POLL = Duration.ofSeconds(3);
  /** Schedules further away than this still get a look this often, for drift (a dropped index, say). */
  private static final Duration LONGEST_WAIT = Duration.ofMinutes(5);
  private final EventRecorder events;
  private final Clock clock;
  private final VectorMetrics metrics;
  private final IndexJobs jobs;
  private final RecallTuner recall;

  /** @param probeInterval how often each ready index is probed (also after each build) */
  public VectorIndexCapability(EventRecorder events, MeterRegistry registry, Clock clock, Duration probeInterval) {
    this.events = events;
    this.clock = clock;
    this.jobs = new IndexJobs(clock);
    this.metrics = new VectorMetrics(registry);
    this.recall = new RecallTuner(events, clock, probeInterval, metrics, jobs);
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
          reported.add(before != null ? before : IndexStatusBuilder.absent(spec));
          metrics.ready(context.unitKey(), spec.name(), false);
        } catch (SQLException e) {
          problems.add(new UnitProblem(EventReason.VectorIndexDatabaseError,
              "vectorIndexes " + spec.name() + ": " + e.getMessage(), e));
          reported.add(before != null ? before : IndexStatusBuilder.absent(spec));
        }
      }
      // Entries that failed validation do not count: bad input changes nothing in the database.
      if (!validEfSearch.isEmpty()) {
        PostgresTarget application = PostgresTargets.application(context.unit(), context.target().orElseThrow(), context.secrets());
        RecallTuner.applyEfSearch(connection, application.username(), validEfSearch.stream().mapToInt(Integer::intValue).max().orElseThrow());
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
    HnswParameters desired = HnswParameters.of(AutoRebuild.effective(spec, before));
    int efSearch = RecallTuner.efSearch(spec, before);
    Optional<IndexPlan.Observed> current = VectorCatalog.index(connection, table, name);
    var base = new IndexStatusBuilder(spec, before, efSearch, current, connection);

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
        recall.requestProbe(key);
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
    return ready(context, dataSource, connection, spec, table, schedule, desired, current.orElseThrow(), base, before);
  }

  private static boolean isBeingBuilt(Connection connection, Optional<IndexPlan.Observed> index) throws SQLException {
    return index.isPresent() && !index.get().valid() && VectorCatalog.isBeingBuilt(connection, index.get().oid());
  }

  /** The index serves as declared: ANALYZE and probe when due, and update the efficiency gauge. */
  private Report ready(UnitContext context, DataSource dataSource, Connection connection, VectorIndexSpec spec, VectorTable table,
      AnalyzeSchedule schedule, HnswParameters desired, IndexPlan.Observed index, IndexStatusBuilder status, VectorIndexStatus before)
      throws SQLException {
    String unitKey = context.unitKey();
    Instant now = clock.instant();
    Instant lastAnalyze = before != null && before.lastAnalyzeTime() != null ? Instant.parse(before.lastAnalyzeTime()) : null;
    if (schedule.isDue(lastAnalyze, now)) {
      IndexDdl.analyze(connection, table);
      lastAnalyze = now;
    }
    status.state(VectorIndexState.READY).lastAnalyze(lastAnalyze);

    Duration untilProbe = recall.tune(context, dataSource, connection, spec, table, desired, index, status, before, now, JOB_POLL);
    Duration recheck = schedule.untilNextRun(lastAnalyze, now).orElse(LONGEST_WAIT);
    recheck = untilProbe.compareTo(recheck) < 0 ? untilProbe : recheck;
    recall.recordEfficiency(unitKey, spec.name(), connection, index);
    return new Report(status.build(), Optional.empty(), recheck.isNegative() || recheck.isZero() ? JOB_POLL : recheck);
  }

  private IndexJobs.Job start(UnitContext context, DataSource dataSource, String name, String kind, String description,
      EventReason reason, IndexJobs.Work work) {
    if (reason != null) {
      events.record(context.unit(), EventRecorder.Type.Normal, reason, "vectorIndexes " + name + ": " + description);
    }
    return jobs.start(context.unitKey(), name, kind, description, dataSource, work);
  }

  private static String describe(HnswParameters p) {
    return p.opclass() + " m=" + p.m() + " ef_construction=" + p.efConstruction();
  }

  @Override
  public void unitDeleted(String unitKey) {
    jobs.unitDeleted(unitKey);
    metrics.retain(unitKey, Set.of());
    recall.unitDeleted(unitKey);
  }

  @Override
  public void close() {
    jobs.close();
  }
}

package dev.databaseunit.operator.vector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.ApplyIn;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitSpec;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.AutoRebuildStatus;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.RecallPoint;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.RecallTuningStatus;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.VectorIndexStatus;
import dev.databaseunit.operator.api.v1alpha1.VectorIndexSpec;
import dev.databaseunit.operator.maintenance.MaintenanceTask;
import dev.databaseunit.operator.maintenance.OptimizeIndexesTask;
import dev.databaseunit.operator.testing.Conflicts;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.OperatorInNamespace;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.UnitFixtures;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.Condition;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HNSW index management by the running operator against a real API server and PostgreSQL with pgvector, on the
 * seed's recipe schema with 1536-dim clustered embeddings.
 */
@WithLocalServices
class VectorIndexIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  private static final String INDEX = "recipe_embedding_hnsw";

  private OperatorInNamespace running;
  private SimpleMeterRegistry registry;
  private UnitFixtures units;

  @BeforeEach
  void startOperator(KubeCluster cluster) {
    registry = new SimpleMeterRegistry();
    running = OperatorInNamespace.start(cluster, "du-vector", registry);
    units = running.units(TIMEOUT);
  }

  @AfterEach
  void stopOperator() {
    running.close();
  }

  @Test
  void buildsTheIndexMeasuresItAndRebuildsOnAParameterChangeWhileTheOldOneServes(TestDatabase db) throws Exception {
    fillRecipes(db, 2000);
    createUnit(db, "recipes", "m: 16, efConstruction: 64, efSearch: 200");

    VectorIndexStatus ready = awaitIndex("recipes", s -> "Ready".equals(s.state()) && s.recallAtK() != null);
    assertThat(ready).extracting(VectorIndexStatus::opclass, VectorIndexStatus::m, VectorIndexStatus::efConstruction,
        VectorIndexStatus::efSearch).containsExactly("vector_cosine_ops", 16, 64, 200);
    assertThat(ready.sizeBytes()).isPositive();
    // The seed's m and ef_construction: 1.00 in five runs at efSearch 200. With m=8/ef_construction=32 some
    // queries got stuck in the wrong cluster (0.68-1.00 over runs). The bound catches a broken measurement; the
    // recall goal itself is measured by bench/vector.sh.
    assertThat(ready.recallAtK()).isBetween(0.75, 1.0);
    assertThat(ready.p95LatencyMillis()).isPositive().isGreaterThanOrEqualTo(ready.p50LatencyMillis());
    assertThat(ready.lastAnalyzeTime()).isNotNull();
    assertThat(ready.lastProbeTime()).isNotNull();
    var built = servingIndex(db).orElseThrow();
    assertThat(built.valid()).isTrue();
    assertThat(built.reloptions()).isEqualTo("{m=16,ef_construction=64}");
    assertThat(db.queryLong("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'recipe_embeddings'")).isPositive();
    assertThat(efSearchOfANewSession(db)).isEqualTo("200");
    var tags = new String[] {"namespace", units.namespace(), "unit", "recipes", "index", INDEX};
    assertThat(registry.get("databaseunit.vector.recall").tags(tags).gauge().value()).isEqualTo(ready.recallAtK());
    assertThat(registry.get("databaseunit.vector.search").tags(tags).timer().count()).isGreaterThanOrEqualTo(10);
    assertThat(registry.get("databaseunit.vector.index.efficiency").tags(tags).gauge()).isNotNull();

    // A writer's open transaction holds the new build in its first wait, so the rebuild can be watched.
    try (Connection writer = db.connect()) {
      writer.setAutoCommit(false);
      try (Statement s = writer.createStatement()) {
        s.execute("LOCK TABLE recipe_embeddings IN ROW EXCLUSIVE MODE");
      }
      editIndex("recipes", 12, 48, 80);

      var rebuilding = awaitIndex("recipes", s -> "Rebuilding".equals(s.state()));
      assertThat(rebuilding.m()).as("the status shows the index that serves").isEqualTo(16);
      assertThat(units.condition("recipes", "Progressing").getStatus()).isEqualTo("True");
      await().atMost(TIMEOUT).until(() -> indexNamed(db, INDEX + "_new").isPresent());
      assertThat(indexNamed(db, INDEX + "_new").orElseThrow().valid()).isFalse();
      assertThat(servingIndex(db).orElseThrow().oid()).isEqualTo(built.oid());
      assertThat(explainNearest(db)).contains("Index Scan using " + INDEX);
      writer.commit();
    }

    // Until the swap and after it, every look finds a valid index under the declared name.
    int polls = 0;
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    VectorIndexStatus status;
    do {
      assertThat(servingIndex(db)).as("poll %d", polls).hasValueSatisfying(i -> assertThat(i.valid()).isTrue());
      polls++;
      Thread.sleep(100);
      status = indexStatus("recipes");
      assertThat(System.nanoTime()).as("rebuild finished in time").isLessThan(deadline);
    } while (!("Ready".equals(status.state()) && Integer.valueOf(12).equals(status.m())));
    var rebuilt = servingIndex(db).orElseThrow();
    assertThat(rebuilt.oid()).isNotEqualTo(built.oid());
    assertThat(rebuilt.reloptions()).isEqualTo("{m=12,ef_construction=48}");
    assertThat(polls).isGreaterThan(1);
    await().atMost(TIMEOUT).untilAsserted(() -> {
      assertThat(indexNamed(db, INDEX + "_old")).isEmpty();
      assertThat(indexNamed(db, INDEX + "_new")).isEmpty();
    });
    assertThat(efSearchOfANewSession(db)).isEqualTo("80");
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(units.eventReasons("recipes"))
        .contains("VectorIndexBuildStarted", "VectorIndexRebuildStarted", "VectorIndexSwapped"));
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(units.condition("recipes", "Ready").getStatus()).isEqualTo("True"));
  }

  /**
   * rebuildIn: MaintenanceWindow — the capability leaves a parameter change to the window; the window's
   * OptimizeIndexes task builds and swaps with the capability's own steps, and its rollback swaps the old index back.
   */
  @Test
  void aParameterChangeDeferredToAWindowIsRebuiltByTheWindowTaskAndSwappedBackOnRollback(TestDatabase db) throws Exception {
    fillRecipes(db, 500);
    createUnit(db, "recipes", "m: 8, efConstruction: 32, rebuildIn: MaintenanceWindow");
    awaitIndex("recipes", s -> "Ready".equals(s.state()) && Integer.valueOf(8).equals(s.m()));
    var built = servingIndex(db).orElseThrow();

    editIndex("recipes", 12, 48, 40, ApplyIn.MaintenanceWindow);
    long generation = units.get("recipes").getMetadata().getGeneration();
    await().atMost(TIMEOUT).until(() -> {
      Condition ready = units.condition("recipes", "Ready");
      return ready != null && "True".equals(ready.getStatus()) && Long.valueOf(generation).equals(ready.getObservedGeneration());
    });
    assertThat(indexStatus("recipes")).extracting(VectorIndexStatus::state, VectorIndexStatus::m).containsExactly("Ready", 8);
    assertThat(servingIndex(db).orElseThrow().oid()).isEqualTo(built.oid());
    assertThat(indexNamed(db, INDEX + "_new")).isEmpty();

    var task = new OptimizeIndexesTask();
    var target = new MaintenanceTask.Target(units.namespace() + "/recipes", db.dataSource(), "public", new TreeMap<>(),
        units.get("recipes").getSpec().vectorIndexes());
    assertThat(task.run(target)).contains("rebuilt " + INDEX + " (HNSW m=12 ef_construction=48: build replacement, swap)");
    var rebuilt = servingIndex(db).orElseThrow();
    assertThat(rebuilt.reloptions()).isEqualTo("{m=12,ef_construction=48}");
    assertThat(indexNamed(db, INDEX + "_old")).isEmpty();
    assertThat(task.run(target)).doesNotContain(INDEX);

    // A swap whose replaced index is still there (its drop did not happen) is undone by the rollback.
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("CREATE INDEX " + INDEX + "_old ON recipe_embeddings USING hnsw (embedding vector_cosine_ops) WITH (m = 8, ef_construction = 32)");
    }
    assertThat(task.rollback(target)).contains(INDEX + ": swapped the previous index back");
    assertThat(servingIndex(db).orElseThrow().reloptions()).isEqualTo("{m=8,ef_construction=32}");
    assertThat(indexNamed(db, INDEX + "_old")).isEmpty();
    assertThat(indexNamed(db, INDEX + "_new")).isEmpty();
    assertThat(task.rollback(target)).isEqualTo("no unfinished rebuild to clean up");
  }

  @Test
  void anInvalidIndexLeftByACancelledBuildIsReplaced(TestDatabase db) throws Exception {
    fillRecipes(db, 500);
    long invalidOid;
    try (Connection writer = db.connect(); Connection builder = db.connect()) {
      writer.setAutoCommit(false);
      try (Statement s = writer.createStatement()) {
        s.execute("LOCK TABLE recipe_embeddings IN ROW EXCLUSIVE MODE");
      }
      long builderPid;
      try (Statement s = builder.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
        rs.next();
        builderPid = rs.getLong(1);
      }
      var build = CompletableFuture.runAsync(() -> {
        try (Statement s = builder.createStatement()) {
          s.execute("CREATE INDEX CONCURRENTLY " + INDEX + " ON recipe_embeddings USING hnsw (embedding vector_cosine_ops)");
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
      });
      await().atMost(TIMEOUT).until(() -> db.queryLong("SELECT count(*) FROM pg_stat_progress_create_index WHERE pid = " + builderPid) == 1);
      assertThat(db.queryLong("SELECT count(*) FROM pg_cancel_backend(" + builderPid + ") ok WHERE ok")).isEqualTo(1);
      await().atMost(TIMEOUT).until(build::isDone);
      assertThat(build).isCompletedExceptionally();
      writer.commit();
    }
    var leftover = servingIndex(db).orElseThrow();
    assertThat(leftover.valid()).as("the cancelled build left an invalid index").isFalse();
    invalidOid = leftover.oid();

    createUnit(db, "recovering", "efSearch: 40");

    awaitIndex("recovering", s -> "Ready".equals(s.state()));
    var replaced = servingIndex(db).orElseThrow();
    assertThat(replaced.valid()).isTrue();
    assertThat(replaced.oid()).isNotEqualTo(invalidOid);
    assertThat(replaced.reloptions()).isEqualTo("{m=16,ef_construction=64}");
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(units.eventReasons("recovering")).contains("VectorIndexInvalidReplaced"));
  }

  @Test
  void aRestartedOperatorNeitherRestartsABuildNorRepeatsAnalyzeOrProbe(TestDatabase db, KubeCluster cluster) throws Exception {
    fillRecipes(db, 500);
    long buildingOid;
    try (Connection writer = db.connect()) {
      writer.setAutoCommit(false);
      try (Statement s = writer.createStatement()) {
        s.execute("LOCK TABLE recipe_embeddings IN ROW EXCLUSIVE MODE");
      }
      createUnit(db, "restarted", "efSearch: 40");
      awaitIndex("restarted", s -> "Building".equals(s.state()));
      buildingOid = await().atMost(TIMEOUT).until(() -> servingIndex(db), Optional::isPresent).orElseThrow().oid();

      // The operator goes away in the middle of the build; the server keeps building for the closed session.
      restartOperator();
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(units.condition("restarted", "Progressing").getMessage())
          .contains("a build by another session runs"));
      writer.commit();
    }
    var ready = awaitIndex("restarted", s -> "Ready".equals(s.state()) && s.recallAtK() != null);
    assertThat(servingIndex(db).orElseThrow()).as("the build was finished, not started again")
        .extracting(CatalogIndex::oid, CatalogIndex::valid).containsExactly(buildingOid, true);
    long analyses = db.queryLong("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'recipe_embeddings'");

    restartOperator();
    await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      var status = indexStatus("restarted");
      assertThat(status.state()).isEqualTo("Ready");
      assertThat(status.lastAnalyzeTime()).isEqualTo(ready.lastAnalyzeTime());
      assertThat(status.lastProbeTime()).isEqualTo(ready.lastProbeTime());
    });
    assertThat(db.queryLong("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'recipe_embeddings'")).isEqualTo(analyses);
    assertThat(servingIndex(db).orElseThrow().oid()).isEqualTo(buildingOid);
  }

  private void restartOperator() {
    registry = new SimpleMeterRegistry();
    running.restartOperator(registry);
  }

  @Test
  void eachMismatchBetweenSpecAndTableIsItsOwnDegradedReason(TestDatabase db) throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("CREATE EXTENSION IF NOT EXISTS vector");
      s.execute("CREATE TABLE docs (id int PRIMARY KEY, body text, embedding vector(3), loose vector)");
    }
    units.client().resource(units.credentialsSecret("db-credentials", db)).create();
    Map<String, String[]> cases = Map.of(
        "no-table", new String[] {"table: missing_docs, column: embedding, dimensions: 3", "VectorTableNotFound",
            "table missing_docs does not exist"},
        "no-column", new String[] {"table: docs, column: vec, dimensions: 3", "VectorColumnNotFound", "has no column vec"},
        "text-column", new String[] {"table: docs, column: body, dimensions: 3", "VectorColumnNotVector", "is of type text, not vector"},
        "wrong-dimensions", new String[] {"table: public.docs, column: embedding, dimensions: 1536", "VectorDimensionsMismatch",
            "is vector(3) but the spec declares 1536 dimensions"},
        "no-dimensions", new String[] {"table: docs, column: loose, dimensions: 3", "VectorDimensionsMismatch",
            "is vector without dimensions"},
        "bad-cron", new String[] {"table: docs, column: embedding, dimensions: 3, analyzeSchedule: '0 0 4 * * * *'",
            "VectorScheduleInvalid", "not a valid cron"});
    cases.forEach((name, c) -> units.client().resource(unit(name, db, "{name: docs_hnsw, " + c[0] + "}")).create());
    cases.forEach((name, c) -> {
      Condition degraded = units.awaitCondition(name, "Degraded", "True");
      assertThat(degraded.getReason()).as(name).isEqualTo(c[1]);
      assertThat(degraded.getMessage()).as(name).contains(c[2]);
    });
    assertThat(db.queryLong("SELECT count(*) FROM pg_indexes WHERE tablename = 'docs' AND indexname <> 'docs_pkey'")).isZero();
  }

  /**
   * Without efSearch the probe searches from 40 for the smallest ef_search meeting targetRecall (0.95 by default) and
   * sets it for the application's role in the database, not for the database; writes to a fifth of the table make the
   * next reconcile probe again, a reconcile without them does not.
   */
  @Test
  void theProbeTunesEfSearchForTheApplicationRoleAndProbesAgainAfterManyWrites(TestDatabase db) throws Exception {
    fillRecipes(db, 1000);
    createUnit(db, "tuned", "m: 16, efConstruction: 64");

    VectorIndexStatus tuned = awaitIndex("tuned", s -> "Ready".equals(s.state()) && s.recallTuning() != null
        && s.recallTuning().curve() != null && !s.recallTuning().curve().isEmpty());
    RecallTuningStatus tuning = tuned.recallTuning();
    assertThat(tuning.reason()).as(tuning.message()).isEqualTo("RecallTargetMet");
    assertThat(tuning).extracting(RecallTuningStatus::targetRecall, RecallTuningStatus::minEfSearch, RecallTuningStatus::maxEfSearch)
        .containsExactly(0.95, 40, 400);
    // The choice is a measured point that meets the target, and every smaller point measured misses it.
    assertThat(tuning.curve()).anySatisfy(p -> assertThat(p).isEqualTo(new RecallPoint(tuned.efSearch(), tuned.recallAtK())));
    assertThat(tuned.recallAtK()).isGreaterThanOrEqualTo(0.95);
    assertThat(tuning.curve()).filteredOn(p -> p.efSearch() < tuned.efSearch()).allSatisfy(p -> assertThat(p.recallAtK()).isLessThan(0.95));
    assertThat(tuning.probeQueries()).isEqualTo(RecallTuner.PROBE_QUERIES * (1 + tuning.curve().size()));
    assertThat(tuning.probeMillis()).isNotNull().isNotNegative();
    assertThat(efSearchOfANewSession(db)).isEqualTo(Integer.toString(tuned.efSearch()));
    assertThat(db.queryLong("""
        SELECT count(*) FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole JOIN pg_database d ON d.oid = s.setdatabase
        WHERE d.datname = current_database() AND r.rolname = current_user AND 'hnsw.ef_search=%d' = ANY (s.setconfig)"""
        .formatted(tuned.efSearch()))).as("set for the role in this database").isEqualTo(1);
    assertThat(db.queryLong("""
        SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
        WHERE d.datname = current_database() AND s.setrole = 0""")).as("nothing set for the whole database").isZero();

    // A reconcile (here: after a spec change that leaves the search alone) without writes keeps the measurement.
    editEntry("tuned", e -> new VectorIndexSpec(e.name(), e.table(), e.column(), e.dimensions(), e.opclass(), e.m(), e.efConstruction(),
        e.efSearch(), "0 0 5 * * ?", e.rebuildIn(), e.targetRecall(), e.maxEfSearch(), e.autoRebuild()));
    await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(20)).untilAsserted(
        () -> assertThat(indexStatus("tuned").lastProbeTime()).isEqualTo(tuned.lastProbeTime()));

    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("UPDATE recipe_embeddings SET embedding = embedding WHERE recipe_id % 4 < 3");
    }
    editEntry("tuned", e -> new VectorIndexSpec(e.name(), e.table(), e.column(), e.dimensions(), e.opclass(), e.m(), e.efConstruction(),
        e.efSearch(), "0 0 6 * * ?", e.rebuildIn(), e.targetRecall(), e.maxEfSearch(), e.autoRebuild()));
    VectorIndexStatus again = awaitIndex("tuned", s -> s.lastProbeTime() != null && !s.lastProbeTime().equals(tuned.lastProbeTime()));
    assertThat(again.recallTuning().writesAtProbe()).isGreaterThanOrEqualTo(tuning.writesAtProbe() + 250);
  }

  /**
   * A sparse graph over uniform vectors (the hardest shape) and a near-perfect target: RecallTargetUnreachable with the curve and advice in status and a Warning
   * Event; the index still serves with the best ef_search measured, and the unit stays Ready (recall is a quality
   * the operator reports, not a fault of the unit).
   */
  @Test
  void aTargetNoEfSearchUpToTheCapReachesIsReportedWithTheCurveAndAdvice(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      RecipeData.createSchema(c);
      RecipeData.fill(c, ClusteredEmbeddings.uniform(RecipeData.DIMENSIONS, 11), 2000, 1);
    }
    createUnit(db, "sparse", "m: 2, efConstruction: 4, targetRecall: 0.999, maxEfSearch: 80");

    VectorIndexStatus sparse = awaitIndex("sparse", s -> "Ready".equals(s.state()) && s.recallTuning() != null
        && s.recallTuning().curve() != null && !s.recallTuning().curve().isEmpty());
    RecallTuningStatus tuning = sparse.recallTuning();
    assertThat(tuning.reason()).isEqualTo("RecallTargetUnreachable");
    assertThat(tuning.curve()).extracting(RecallPoint::efSearch).containsExactly(40, 80);
    assertThat(tuning.curve()).allSatisfy(p -> assertThat(p.recallAtK()).isLessThan(0.999));
    // It serves with the best measured: the highest recall, the smaller ef_search of equals.
    RecallPoint best = tuning.curve().get(1).recallAtK() > tuning.curve().get(0).recallAtK() ? tuning.curve().get(1) : tuning.curve().get(0);
    assertThat(sparse).extracting(VectorIndexStatus::efSearch, VectorIndexStatus::recallAtK).containsExactly(best.efSearch(), best.recallAtK());
    assertThat(tuning.message()).startsWith("no ef_search from 40 to 80 reaches recall@10 1.00: best").contains("rebuild with");
    assertThat(efSearchOfANewSession(db)).isEqualTo(Integer.toString(best.efSearch()));
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(units.events("sparse")).anySatisfy(e -> {
      assertThat(e.getReason()).isEqualTo("RecallTargetUnreachable");
      assertThat(e.getType()).isEqualTo("Warning");
      assertThat(e.getMessage()).contains("rebuild with efConstruction 8 (now 4) or m 10 (now 2)");
    }));
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(units.condition("sparse", "Ready").getStatus()).isEqualTo("True"));
  }

  /**
   * autoRebuild: the unreachable target makes the operator choose a stronger graph, which waits for the window; the
   * window's task builds it, and the rebuilt index is probed again (and stepped again while the target is missed).
   */
  @Test
  void autoRebuildChoosesAStrongerGraphThatTheWindowBuildsAndTheProbeMeasuresAgain(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      RecipeData.createSchema(c);
      RecipeData.fill(c, ClusteredEmbeddings.uniform(RecipeData.DIMENSIONS, 11), 2000, 1);
    }
    createUnit(db, "auto", "m: 2, efConstruction: 4, targetRecall: 0.999, maxEfSearch: 80, rebuildIn: MaintenanceWindow, "
        + "autoRebuild: true");

    VectorIndexStatus planned = awaitIndex("auto", s -> s.autoRebuild() != null);
    assertThat(planned.recallTuning().reason()).isEqualTo("RecallTargetUnreachable");
    assertThat(planned).extracting(VectorIndexStatus::state, VectorIndexStatus::m, VectorIndexStatus::efConstruction)
        .containsExactly("Ready", 2, 4);
    assertThat(planned.autoRebuild()).extracting(AutoRebuildStatus::m, AutoRebuildStatus::efConstruction).containsExactly(10, 20);
    assertThat(planned.autoRebuild().message()).endsWith("the next MaintenanceWindow rebuilds it with m 10, efConstruction 20");
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(units.events("auto"))
        .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("VectorIndexAutoRebuildPlanned")));
    assertThat(servingIndex(db).orElseThrow().reloptions()).isEqualTo("{m=2,ef_construction=4}");

    var unit = units.get("auto");
    var target = new MaintenanceTask.Target(units.namespace() + "/auto", db.dataSource(), "public", new TreeMap<>(),
        AutoRebuild.effective(unit.getSpec().vectorIndexes(), unit.getStatus().vectorIndexes()));
    assertThat(new OptimizeIndexesTask().run(target)).contains("rebuilt " + INDEX + " (HNSW m=10 ef_construction=20: build replacement, swap)");
    assertThat(servingIndex(db).orElseThrow().reloptions()).isEqualTo("{m=10,ef_construction=20}");

    // The next reconcile (here brought on by an unrelated edit) finds another graph than the one probed and probes it.
    editEntry("auto", e -> new VectorIndexSpec(e.name(), e.table(), e.column(), e.dimensions(), e.opclass(), e.m(), e.efConstruction(),
        e.efSearch(), "0 0 5 * * ?", e.rebuildIn(), e.targetRecall(), e.maxEfSearch(), e.autoRebuild()));
    VectorIndexStatus measured = awaitIndex("auto", s -> s.recallTuning() != null && Integer.valueOf(10).equals(s.recallTuning().m()));
    assertThat(measured).extracting(VectorIndexStatus::m, VectorIndexStatus::efConstruction).containsExactly(10, 20);
    assertThat(measured.autoRebuild()).as("%s; spec %s", measured, units.get("auto").getSpec().vectorIndexes()).isNotNull();
    if (RecallReport.MET.equals(measured.recallTuning().reason())) {
      assertThat(measured.autoRebuild()).extracting(AutoRebuildStatus::m, AutoRebuildStatus::efConstruction).containsExactly(10, 20);
    } else {
      assertThat(measured.autoRebuild()).extracting(AutoRebuildStatus::m, AutoRebuildStatus::efConstruction).containsExactly(18, 40);
    }
  }

  // ----- helpers -----

  private record CatalogIndex(long oid, boolean valid, String reloptions) {}

  private static void fillRecipes(TestDatabase db, int rows) throws Exception {
    try (Connection c = db.connect()) {
      RecipeData.createSchema(c);
      RecipeData.fill(c, new ClusteredEmbeddings(10, RecipeData.DIMENSIONS, 11), rows, 1);
    }
  }

  private static Optional<CatalogIndex> servingIndex(TestDatabase db) throws SQLException {
    return indexNamed(db, INDEX);
  }

  private static Optional<CatalogIndex> indexNamed(TestDatabase db, String name) throws SQLException {
    try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("""
        SELECT c.oid, x.indisvalid, c.reloptions::text FROM pg_class c JOIN pg_index x ON x.indexrelid = c.oid
        WHERE c.relname = ? AND x.indrelid = 'recipe_embeddings'::regclass""")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(new CatalogIndex(rs.getLong(1), rs.getBoolean(2), rs.getString(3))) : Optional.empty();
      }
    }
  }

  /** What a session opened now gets, without setting anything itself. */
  private static String efSearchOfANewSession(TestDatabase db) throws SQLException {
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW hnsw.ef_search")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static String explainNearest(TestDatabase db) throws SQLException {
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
        "EXPLAIN SELECT recipe_id FROM recipe_embeddings ORDER BY embedding <=> (SELECT embedding FROM recipe_embeddings LIMIT 1) LIMIT 10")) {
      var plan = new StringBuilder();
      while (rs.next()) {
        plan.append(rs.getString(1)).append('\n');
      }
      return plan.toString();
    }
  }

  private void createUnit(TestDatabase db, String name, String parameters) {
    units.client().resource(units.credentialsSecret("db-credentials", db)).createOr(existing -> existing.update());
    units.client().resource(unit(name, db, indexEntry(parameters))).create();
  }

  private void editIndex(String name, int m, int efConstruction, int efSearch) {
    editIndex(name, m, efConstruction, efSearch, null);
  }

  private void editIndex(String name, int m, int efConstruction, int efSearch, ApplyIn rebuildIn) {
    editEntry(name, e -> new VectorIndexSpec(INDEX, "recipe_embeddings", "embedding", RecipeData.DIMENSIONS, VectorIndexSpec.Opclass.COSINE,
        m, efConstruction, efSearch, null, rebuildIn, null, null, null));
  }

  private void editEntry(String name, java.util.function.UnaryOperator<VectorIndexSpec> edit) {
    Conflicts.retry(() -> units.client().resources(DatabaseUnit.class).inNamespace(units.namespace()).withName(name).edit(u -> {
      var spec = u.getSpec();
      u.setSpec(new DatabaseUnitSpec(spec.postgres(), spec.extensions(), spec.migrations(), List.of(edit.apply(spec.vectorIndexes().getFirst())),
          spec.pooler(), spec.cache(), spec.gdpr(), spec.monitoring(), spec.bootstrap()));
      return u;
    }));
  }

  private static String indexEntry(String parameters) {
    return "{name: " + INDEX + ", table: recipe_embeddings, column: embedding, dimensions: 1536, " + parameters + "}";
  }

  private DatabaseUnit unit(String name, TestDatabase db, String indexEntry) {
    return units.unit(units.unitYaml(name, "db-credentials", db) + "  vectorIndexes:\n    - " + indexEntry + "\n");
  }

  private VectorIndexStatus indexStatus(String unit) {
    var u = units.get(unit);
    if (u == null || u.getStatus() == null || u.getStatus().vectorIndexes() == null) {
      return new VectorIndexStatus(INDEX, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }
    return u.getStatus().vectorIndexes().getFirst();
  }

  private VectorIndexStatus awaitIndex(String unit, java.util.function.Predicate<VectorIndexStatus> condition) {
    return await().atMost(TIMEOUT).pollInterval(Duration.ofMillis(200)).until(() -> indexStatus(unit), condition);
  }
}

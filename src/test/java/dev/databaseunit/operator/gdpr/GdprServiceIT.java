package dev.databaseunit.operator.gdpr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.api.v1alpha1.CachePolicy;
import dev.databaseunit.operator.api.v1alpha1.CacheSpec;
import dev.databaseunit.operator.api.v1alpha1.GdprRequestSpec;
import dev.databaseunit.operator.cache.RedisEndpoint;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.testing.TestBucket;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.TestRedis;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.lettuce.core.resource.DefaultClientResources;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** Export, erasure, audit and ledger against the real PostgreSQL, Redis and S3-compatible store (no Kubernetes). */
@WithLocalServices
public class GdprServiceIT {
  /** The subject hash key of the units these tests stand for. */
  public static final String TEST_KEY_BASE64 = SubjectKey.newBase64();
  public static final SubjectKey TEST_KEY = SubjectKey.fromBase64(TEST_KEY_BASE64);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-25T12:00:00Z"), ZoneOffset.UTC);

  private TestDatabase seeded;
  private PGSimpleDataSource dataSource;
  private long alice;
  private long bob;
  private long carol;

  @BeforeEach
  void seed(TestDatabase db) throws Exception {
    seeded = db;
    dataSource = new PGSimpleDataSource();
    dataSource.setUrl(db.jdbcUrl());
    dataSource.setUser(db.user());
    dataSource.setPassword(db.password());
    try (Connection c = dataSource.getConnection()) {
      RecipeFixture.createSchema(c);
      alice = RecipeFixture.addUser(c, "alice@example.com", 5, 4, true);
      bob = RecipeFixture.addUser(c, "bob@example.com", 3, 2, true);
      carol = RecipeFixture.addUser(c, "carol@example.com", 0, 0, false);
    }
  }

  private GdprService service() {
    return new GdprService(CLOCK, SubjectEraser.DeletionListener.NONE);
  }

  private static GdprService.Request request(String subjectId) {
    return new GdprService.Request(UUID.randomUUID().toString(), subjectId, "dpo@example.com", "Art. 17, ticket PRIV-1");
  }

  @Test
  void erasureRemovesEveryRowOfTheSubjectAndNothingElse() throws Exception {
    var service = service();
    var prepared = service.prepare(dataSource, SubjectPlan.seedDefault(), GdprServiceIT.TEST_KEY);
    Map<String, Long> aliceBefore;
    Map<String, Long> bobBefore;
    Map<String, Long> totalBefore;
    try (Connection c = dataSource.getConnection()) {
      aliceBefore = RecipeFixture.userCounts(c, alice);
      bobBefore = RecipeFixture.userCounts(c, bob);
      totalBefore = RecipeFixture.tableCounts(c);
    }
    assertThat(aliceBefore).containsEntry("recipes", 5L).containsEntry("parsed_ingredients", 20L).containsEntry("consents", 3L);

    var req = request(Long.toString(alice));
    service.requested(dataSource, prepared, req, true);
    var erasure = service.erase(dataSource, prepared, req, false, Map.of());

    assertThat(erasure.counts()).containsExactlyEntriesOf(aliceBefore);
    assertThat(erasure.subjectFound()).isTrue();
    try (Connection c = dataSource.getConnection()) {
      assertThat(RecipeFixture.userCounts(c, alice).values()).allMatch(n -> n == 0);
      assertThat(RecipeFixture.userCounts(c, bob)).isEqualTo(bobBefore);
      var totalAfter = RecipeFixture.tableCounts(c);
      totalBefore.forEach((table, n) -> assertThat(totalAfter.get(table)).as(table).isEqualTo(n - aliceBefore.get(table)));
      assertThat(auditActions(c, req.uid())).containsExactly("data_deletion_requested", "data_deletion_started", "data_deletion_completed");
      assertThat(query(c, "SELECT subject_hash FROM gdpr_erasure_ledger")).containsExactly(erasure.subjectHash());
      // No personal data in the audit or the ledger: the id and email appear nowhere.
      String audit = String.join("|", query(c, "SELECT a::text FROM gdpr_audit_log a"));
      assertThat(audit).doesNotContain("alice@example.com").doesNotContain("\"" + alice + "\"");
    }

    // Exactly once: the same request again is recognised, not re-run.
    var again = service.erase(dataSource, prepared, req, false, Map.of());
    assertThat(again.replayed()).isTrue();
    assertThat(again.counts()).isEqualTo(erasure.counts());
  }

  @Test
  void dryRunCountsWithoutDeleting() throws Exception {
    var service = service();
    var prepared = service.prepare(dataSource, SubjectPlan.seedDefault(), GdprServiceIT.TEST_KEY);
    Map<String, Long> before;
    try (Connection c = dataSource.getConnection()) {
      before = RecipeFixture.tableCounts(c);
    }
    var erasure = service.erase(dataSource, prepared, request(Long.toString(bob)), true, Map.of());
    assertThat(erasure.dryRun()).isTrue();
    try (Connection c = dataSource.getConnection()) {
      assertThat(erasure.counts()).isEqualTo(RecipeFixture.userCounts(c, bob));
      assertThat(RecipeFixture.tableCounts(c)).isEqualTo(before);
      assertThat(query(c, "SELECT count(*) FROM gdpr_erasure_ledger")).containsExactly("0");
    }
  }

  @Test
  void aFailureAfterTheThirdTableLeavesNothingDeletedAndTheRetryCompletes() throws Exception {
    List<String> seen = new ArrayList<>();
    var faulty = new GdprService(CLOCK, (table, rows) -> {
      seen.add(table);
      if (seen.size() == 3) {
        throw new IllegalStateException("operator killed after " + table);
      }
    });
    var prepared = faulty.prepare(dataSource, SubjectPlan.seedDefault(), GdprServiceIT.TEST_KEY);
    var req = request(Long.toString(alice));
    Map<String, Long> before;
    try (Connection c = dataSource.getConnection()) {
      before = RecipeFixture.tableCounts(c);
    }
    assertThatThrownBy(() -> faulty.erase(dataSource, prepared, req, false, Map.of())).hasMessageContaining("parsed_ingredients");
    try (Connection c = dataSource.getConnection()) {
      assertThat(RecipeFixture.tableCounts(c)).isEqualTo(before);
      assertThat(query(c, "SELECT count(*) FROM gdpr_erasure_ledger")).containsExactly("0");
    }

    var retried = service().erase(dataSource, prepared, req, false, Map.of());
    assertThat(retried.replayed()).isFalse();
    assertThat(retried.counts().get("recipes")).isEqualTo(5L);
    try (Connection c = dataSource.getConnection()) {
      assertThat(RecipeFixture.userCounts(c, alice).values()).allMatch(n -> n == 0);
      assertThat(auditActions(c, req.uid())).containsExactly(
          "data_deletion_started", "data_deletion_failed", "data_deletion_started", "data_deletion_completed");
    }
  }

  @Test
  void theLedgerErasesTheSubjectAgainInADatabaseRestoredFromAnOlderDump(TestDatabase restored)
      throws Exception {
    var service = service();
    var prepared = service.prepare(dataSource, SubjectPlan.seedDefault(), GdprServiceIT.TEST_KEY);
    byte[] dump = pgDump(seeded);
    var erasure = service.erase(dataSource, prepared, request(Long.toString(alice)), false, Map.of());

    pgRestore(restored, dump);
    var restoredSource = new PGSimpleDataSource();
    restoredSource.setUrl(restored.jdbcUrl());
    restoredSource.setUser(restored.user());
    restoredSource.setPassword(restored.password());
    Map<String, Long> bobBefore;
    try (Connection c = restoredSource.getConnection()) {
      assertThat(RecipeFixture.userCounts(c, alice).get("recipes")).as("the dump predates the erasure").isEqualTo(5L);
      bobBefore = RecipeFixture.userCounts(c, bob);
    }

    ErasureLedger ledger;
    try (Connection live = dataSource.getConnection()) {
      ledger = ErasureLedger.read(live, SubjectPlan.seedDefault());
    }
    ErasureLedger.Reapplied reapplied;
    try (Connection target = restoredSource.getConnection()) {
      reapplied = ledger.reapply(target, TEST_KEY);
      assertThat(RecipeFixture.userCounts(target, alice).values()).allMatch(n -> n == 0);
      assertThat(RecipeFixture.userCounts(target, bob)).isEqualTo(bobBefore);
      assertThat(query(target, "SELECT subject_hash FROM gdpr_erasure_ledger")).containsExactly(erasure.subjectHash());
    }
    assertThat(reapplied.subjects()).isEqualTo(1);
    assertThat(reapplied.deletedRows()).isEqualTo(erasure.counts());
    try (Connection target = restoredSource.getConnection()) {
      assertThat(ledger.reapply(target, TEST_KEY).deletedRows().values()).as("re-applying twice is harmless").allMatch(n -> n == 0);
    }
  }

  /**
   * Subject hashes are an HMAC under the unit's key from a Secret, not a salted SHA-256 with the salt in the same
   * database: what the database holds does not let anyone test a guessed id against the hashes. PostgreSQL computes
   * the same HMAC, so ledger entries match restored rows; entries from before (salted) still re-apply, and entries made
   * with another unit's key are refused with what to do.
   */
  @Test
  void subjectHashesAreKeyedAndOlderSaltedLedgerEntriesStillReapply(TestDatabase restored) throws Exception {
    var service = service();
    var prepared = service.prepare(dataSource, SubjectPlan.seedDefault(), TEST_KEY);
    byte[] dump = pgDump(seeded);
    var erasure = service.erase(dataSource, prepared, request(Long.toString(alice)), false, Map.of());
    byte[] salt;
    try (Connection c = dataSource.getConnection()) {
      salt = SubjectHash.read(c);
      assertThat(erasure.subjectHash()).isEqualTo(TEST_KEY.hash(Long.toString(alice))).isNotEqualTo(SubjectHash.of(salt, Long.toString(alice)));
      assertThat(query(c, "SELECT scheme FROM gdpr_erasure_ledger")).containsExactly("hmac-sha256:" + TEST_KEY.fingerprint());
      for (String id : List.of("42", "ü-subject-✓", "x".repeat(200))) {
        try (var ps = c.prepareStatement("SELECT " + SubjectKey.SQL.formatted("?::text"))) {
          ps.setBytes(1, TEST_KEY.outerPad());
          ps.setBytes(2, TEST_KEY.innerPad());
          ps.setString(3, id);
          try (var rs = ps.executeQuery()) {
            rs.next();
            assertThat(rs.getString(1)).as("PostgreSQL's HMAC of %s", id).isEqualTo(TEST_KEY.hash(id));
          }
        }
      }
      // An entry written before keyed hashes: salted, with the legacy scheme.
      ErasureLedger.record(c, new ErasureLedger.Entry(SubjectHash.of(salt, Long.toString(bob)), "legacy-request",
          java.time.Instant.parse("2026-11-01T00:00:00Z"), ErasureLedger.LEGACY_SCHEME));
    }
    pgRestore(restored, dump);
    var restoredSource = new PGSimpleDataSource();
    restoredSource.setUrl(restored.jdbcUrl());
    restoredSource.setUser(restored.user());
    restoredSource.setPassword(restored.password());
    ErasureLedger ledger;
    try (Connection live = dataSource.getConnection()) {
      ledger = ErasureLedger.read(live, SubjectPlan.seedDefault());
    }
    try (Connection target = restoredSource.getConnection()) {
      var otherKey = SubjectKey.fromBase64(SubjectKey.newBase64());
      assertThatThrownBy(() -> ledger.reapply(target, otherKey)).hasMessageContaining("spec.gdpr.subjectHashKey");
      assertThat(ledger.reapply(target, TEST_KEY).subjects()).isEqualTo(2);
      assertThat(RecipeFixture.userCounts(target, alice).values()).allMatch(n -> n == 0);
      assertThat(RecipeFixture.userCounts(target, bob).values()).allMatch(n -> n == 0);
    }
  }

  @Test
  void theSubjectsCacheKeysAreUnlinkedAndOnlyThose(TestRedis redis) throws Exception {
    String prefix = redis.keyPrefix();
    var cache = new CacheSpec(null, null, null, null, prefix, List.of(
        new CachePolicy("user_profiles", "1h", CachePolicy.Strategy.WRITE_THROUGH, CachePolicy.InvalidationMode.EVENT_DRIVEN, "users", "id"),
        new CachePolicy("recipes", "30m", CachePolicy.Strategy.WRITE_BEHIND, CachePolicy.InvalidationMode.EVENT_DRIVEN, "recipes", "id"),
        new CachePolicy("taste_profiles", "4h", CachePolicy.Strategy.WRITE_THROUGH, CachePolicy.InvalidationMode.EVENT_DRIVEN,
            "user_taste_profiles", "user_id")), null);
    var plan = SubjectPlan.seedDefault();
    List<String> aliceRecipes;
    List<String> bobRecipes;
    try (Connection c = dataSource.getConnection()) {
      aliceRecipes = query(c, "SELECT id FROM recipes WHERE user_id = " + alice);
      bobRecipes = query(c, "SELECT id FROM recipes WHERE user_id = " + bob);
    }
    var commands = redis.client().connect().sync();
    commands.set(prefix + ":user_profiles:" + alice, "a");
    commands.set(prefix + ":user_profiles:" + alice + ":avatar", "a");
    commands.set(prefix + ":taste_profiles:" + alice, "a");
    aliceRecipes.forEach(id -> commands.set(prefix + ":recipes:" + id, "a"));
    // Keys that merely share a prefix of the id, and other users' keys, stay.
    commands.set(prefix + ":user_profiles:" + alice + "0", "other");
    commands.set(prefix + ":user_profiles:" + bob, "bob");
    bobRecipes.forEach(id -> commands.set(prefix + ":recipes:" + id, "bob"));

    var service = service();
    var erasure = service.erase(dataSource, service.prepare(dataSource, plan, GdprServiceIT.TEST_KEY), request(Long.toString(alice)), false,
        SubjectCacheKeys.rowKeyColumns(cache, plan));
    long removed;
    var resources = DefaultClientResources.create();
    try (var subjectCache = RedisSubjectCache.connect(resources,
        new RedisEndpoint(redis.uri().getHost(), redis.uri().getPort(), false, null, null, null))) {
      removed = subjectCache.invalidate(SubjectCacheKeys.of(cache, "unit", plan, Long.toString(alice), erasure.deletedKeys()));
    } finally {
      resources.shutdown();
    }
    assertThat(removed).isEqualTo(3 + aliceRecipes.size());
    assertThat(commands.keys(prefix + ":*")).containsExactlyInAnyOrderElementsOf(concat(
        List.of(prefix + ":user_profiles:" + alice + "0", prefix + ":user_profiles:" + bob),
        bobRecipes.stream().map(id -> prefix + ":recipes:" + id).toList()));
    assertThat(SubjectCache.NONE.invalidate(SubjectCacheKeys.of(null, "unit", plan, "1", Map.of()))).isZero();
  }

  /**
   * A retried erasure (the first run committed, then Redis failed) replays the deletion of the subject's cache keys:
   * the keys of the rows it deleted come back from the completed audit row, since the rows themselves are gone.
   */
  @Test
  void aReplayedErasureNamesTheSameCacheKeysAsTheFirstRun() throws Exception {
    var cache = new CacheSpec(null, null, "64mb", CacheSpec.EvictionPolicy.ALLKEYS_LRU, "shop", List.of(
        new CachePolicy("recipes", "30m", CachePolicy.Strategy.WRITE_BEHIND, CachePolicy.InvalidationMode.EVENT_DRIVEN, "recipes", "id")),
        null);
    var plan = SubjectPlan.seedDefault();
    var service = service();
    var prepared = service.prepare(dataSource, plan, GdprServiceIT.TEST_KEY);
    var request = request(Long.toString(alice));

    var first = service.erase(dataSource, prepared, request, false, SubjectCacheKeys.rowKeyColumns(cache, plan));
    var replay = service.erase(dataSource, prepared, request, false, SubjectCacheKeys.rowKeyColumns(cache, plan));

    assertThat(replay.replayed()).isTrue();
    assertThat(first.deletedKeys().get("recipes")).isNotEmpty();
    assertThat(replay.deletedKeys()).isEqualTo(first.deletedKeys());
    assertThat(SubjectCacheKeys.of(cache, "unit", plan, Long.toString(alice), replay.deletedKeys()).exact())
        .hasSize(first.deletedKeys().get("recipes").size()).allMatch(k -> k.startsWith("shop:recipes:"));
  }

  @Test
  void jsonExportHoldsExactlyTheSubjectsRows(TestBucket bucket) throws Exception {
    var service = service();
    var prepared = service.prepare(dataSource, SubjectPlan.seedDefault(), GdprServiceIT.TEST_KEY);
    try (var store = store(bucket)) {
      var export = service.export(dataSource, prepared, request(Long.toString(alice)), GdprRequestSpec.Format.JSON, store, "alice.json");
      byte[] stored = bucket.client().getObjectAsBytes(b -> b.bucket(bucket.name()).key("exports/alice.json.enc")).asByteArray();
      assertThat(new String(stored, java.nio.charset.StandardCharsets.ISO_8859_1)).as("encrypted at rest").doesNotContain("subjectHash")
          .startsWith("DUBK");
      byte[] object = readExport(bucket, "exports/alice.json");
      assertThat(export.sizeBytes()).isEqualTo(object.length);
      assertThat(export.sha256()).isEqualTo(sha256(object));
      assertThat(export.location()).isEqualTo("s3://" + bucket.name() + "/exports/alice.json.enc");

      JsonNode doc = JSON.readTree(object);
      assertThat(doc.get("subjectHash").asText()).isEqualTo(prepared.hash(Long.toString(alice)));
      try (Connection c = dataSource.getConnection()) {
        var expected = RecipeFixture.userCounts(c, alice);
        assertThat(export.rowCounts()).isEqualTo(expected);
        expected.forEach((table, n) -> assertThat(doc.get("tables").get(table).size()).as(table).isEqualTo(n.intValue()));
        // Row by row against direct SQL: every recipe id of alice, no id of bob.
        assertThat(ids(doc, "recipes", "id")).containsExactlyInAnyOrderElementsOf(
            query(c, "SELECT id FROM recipes WHERE user_id = " + alice));
        assertThat(ids(doc, "recipes", "user_id")).containsOnly(Long.toString(alice));
        assertThat(ids(doc, "parsed_ingredients", "recipe_id")).doesNotContainAnyElementsOf(
            query(c, "SELECT id FROM recipes WHERE user_id = " + bob));
        assertThat(ids(doc, "consents", "user_id")).containsOnly(Long.toString(alice));
        JsonNode embedding = doc.get("tables").get("recipe_embeddings").get(0).get("embedding");
        assertThat(embedding.isArray()).isTrue();
        assertThat(embedding.size()).isEqualTo(1536);
        String firstId = doc.get("tables").get("recipe_embeddings").get(0).get("recipe_id").asText();
        assertThat(embedding.get(0).floatValue()).isEqualTo(Float.parseFloat(
            query(c, "SELECT (embedding::real[])[1] FROM recipe_embeddings WHERE recipe_id = " + firstId).getFirst()));
        assertThat(doc.get("tables").get("user_taste_profiles").get(0).get("preferences").get("note").asText())
            .isEqualTo("naïve café, 100%");
        assertThat(doc.get("tables").get("users").get(0).get("display_name").asText()).isEqualTo("Zoë \"Chef\" O'Neil, 50%");
        assertThat(auditActions(c, null)).contains("data_export_started", "data_export_completed");
      }
    }
  }

  @Test
  void csvExportIsOneFilePerTableInAZip(TestBucket bucket) throws Exception {
    var service = service();
    var prepared = service.prepare(dataSource, SubjectPlan.seedDefault(), GdprServiceIT.TEST_KEY);
    try (var store = store(bucket)) {
      var export = service.export(dataSource, prepared, request(Long.toString(bob)), GdprRequestSpec.Format.CSV, store, "bob.zip");
      byte[] object = readExport(bucket, "exports/bob.zip");
      assertThat(export.sha256()).isEqualTo(sha256(object));
      Map<String, String> files = unzip(object);
      assertThat(files.keySet()).containsExactlyInAnyOrderElementsOf(SubjectPlan.seedDefault().tableNames().stream()
          .map(t -> t + ".csv").toList());
      try (Connection c = dataSource.getConnection()) {
        var expected = RecipeFixture.userCounts(c, bob);
        assertThat(export.rowCounts()).isEqualTo(expected);
        // Header + one line per row; fields with commas/quotes/newlines are quoted, so count records not lines.
        expected.forEach((table, n) -> assertThat(csvRecords(files.get(table + ".csv"))).as(table).isEqualTo(n + 1));
        assertThat(files.get("users.csv")).startsWith("id,email,display_name,created_at\r\n" + bob + ",bob@example.com,"
            + "\"Zoë \"\"Chef\"\" O'Neil, 50%\",");
        assertThat(files.get("consents.csv")).doesNotContain("\r\n" + alice + ",").contains(",recommendations,v2,f,");
        assertThat(files.get("recipe_embeddings.csv")).contains(",\"[");
      }
    }
  }

  /** A subject with 20k rows of 1536-dim vectors (~300 MB as text): the heap must not hold them. */
  @Test
  void exportMemoryStaysFlatForALargeSubject(TestBucket bucket) throws Exception {
    long big;
    try (Connection c = dataSource.getConnection()) {
      big = RecipeFixture.addUser(c, "big@example.com", 20_000, 5, true);
    }
    var service = service();
    var prepared = service.prepare(dataSource, SubjectPlan.seedDefault(), GdprServiceIT.TEST_KEY);
    var memory = ManagementFactory.getMemoryMXBean();
    System.gc();
    long baseline = memory.getHeapMemoryUsage().getUsed();
    long[] peak = {0};
    try (var s3 = store(bucket); var store = new MeasuringStore(s3, () -> {
      System.gc();
      peak[0] = Math.max(peak[0], memory.getHeapMemoryUsage().getUsed() - baseline);
    })) {
      var export = service.export(dataSource, prepared, request(Long.toString(big)), GdprRequestSpec.Format.JSON, store, "big.json");
      assertThat(export.rowCounts().get("recipe_embeddings")).isEqualTo(20_000L);
      assertThat(export.rowCounts().get("parsed_ingredients")).isEqualTo(100_000L);
      assertThat(export.sizeBytes()).isGreaterThan(200L * 1024 * 1024);
    }
    assertThat(peak[0]).as("retained heap while streaming, bytes").isLessThan(96L * 1024 * 1024);
  }

  @Test
  void strangeSubjectIdsMatchNothingAndTouchNothing() throws Exception {
    var service = service();
    var prepared = service.prepare(dataSource, SubjectPlan.seedDefault(), GdprServiceIT.TEST_KEY);
    Map<String, Long> before;
    try (Connection c = dataSource.getConnection()) {
      before = RecipeFixture.tableCounts(c);
    }
    for (String id : List.of("1' OR '1'='1", "1;DELETE FROM users", "%", "_", "*", "ü🙂", "\"users\"", "1 OR 1=1", "-1",
        "99999999999999999999999", alice + "--", "$1", "\\")) {
      var erasure = service.erase(dataSource, prepared, request(id), false, Map.of());
      assertThat(erasure.subjectFound()).as(id).isFalse();
      assertThat(erasure.counts().values()).as(id).allMatch(n -> n == 0);
    }
    try (Connection c = dataSource.getConnection()) {
      assertThat(RecipeFixture.tableCounts(c)).isEqualTo(before);
      assertThat(query(c, "SELECT count(*) FROM gdpr_erasure_ledger")).containsExactly("0");
      assertThat(query(c, "SELECT DISTINCT outcome FROM gdpr_audit_log WHERE action = 'data_deletion_completed'"))
          .containsExactly("subject-not-found");
    }
  }

  /** Text subject keys: the strange ids exist, and each erasure removes exactly its own rows. */
  @Test
  void textSubjectKeysWithQuotesPercentAndUnicodeEraseOnlyTheirOwnRows() throws Exception {
    List<String> handles = List.of("o'brien", "50%", "%", "_", "ü🙂", "x\" OR \"1\"=\"1", "a;DROP TABLE members", "a*", "a");
    try (Connection c = dataSource.getConnection(); var s = c.createStatement()) {
      s.execute("CREATE TABLE members (handle text PRIMARY KEY)");
      s.execute("CREATE TABLE posts (id serial PRIMARY KEY, author text NOT NULL REFERENCES members (handle), body text)");
      for (String h : handles) {
        try (var ps = c.prepareStatement("INSERT INTO members VALUES (?)")) {
          ps.setString(1, h);
          ps.executeUpdate();
        }
        try (var ps = c.prepareStatement("INSERT INTO posts (author, body) SELECT ?, 'post ' || g FROM generate_series(1, 3) g")) {
          ps.setString(1, h);
          ps.executeUpdate();
        }
      }
    }
    var plan = new SubjectPlan(List.of(new SubjectPlan.SubjectTable("posts", "author", null),
        new SubjectPlan.SubjectTable("members", "handle", null)), "gdpr_audit_log");
    var service = service();
    var prepared = service.prepare(dataSource, plan, GdprServiceIT.TEST_KEY);
    List<String> remaining = new ArrayList<>(handles);
    for (String h : handles) {
      var erasure = service.erase(dataSource, prepared, request(h), false, Map.of());
      assertThat(erasure.counts()).as(h).containsExactly(Map.entry("posts", 3L), Map.entry("members", 1L));
      remaining.remove(h);
      try (Connection c = dataSource.getConnection()) {
        assertThat(query(c, "SELECT handle FROM members")).containsExactlyInAnyOrderElementsOf(remaining);
        assertThat(query(c, "SELECT count(*) FROM posts")).containsExactly(Integer.toString(3 * remaining.size()));
      }
    }
  }

  @Test
  void planProblemsAreClearReasons() throws Exception {
    var service = service();
    var seed = SubjectPlan.seedDefault().tables();
    // users before recipes: breaks recipes.user_id -> users.
    var wrongOrder = new ArrayList<>(seed);
    wrongOrder.remove(seed.getLast());
    wrongOrder.add(2, seed.getLast());
    assertThatThrownBy(() -> service.prepare(dataSource, new SubjectPlan(wrongOrder, "gdpr_audit_log"), GdprServiceIT.TEST_KEY))
        .isInstanceOfSatisfying(UnitProblem.class, p -> assertThat(p.reason()).isEqualTo(EventReason.SubjectPlanInvalid))
        .hasMessageContaining("users is deleted before recipes, but recipes.user_id references users (recipes_user_id_fkey)")
        .hasMessageContaining("list recipes before users")
        .hasMessageEndingWith("an order that satisfies every key: user_sessions, data_export_requests, parsed_ingredients, "
            + "recipe_embeddings, recipes, user_taste_profiles, consents, users");
    // Ingredients after recipes: the join path would find nothing.
    var viaAfterParent = new ArrayList<>(seed);
    viaAfterParent.remove(2);
    viaAfterParent.add(5, seed.get(2));
    assertThatThrownBy(() -> service.prepare(dataSource, new SubjectPlan(viaAfterParent, "gdpr_audit_log"), GdprServiceIT.TEST_KEY))
        .hasMessageContaining("recipes is deleted before parsed_ingredients");
    var missingColumn = new ArrayList<>(seed);
    missingColumn.set(0, new SubjectPlan.SubjectTable("user_sessions", "owner_id", null));
    assertThatThrownBy(() -> service.prepare(dataSource, new SubjectPlan(missingColumn, "gdpr_audit_log"), GdprServiceIT.TEST_KEY))
        .hasMessage("column user_sessions.owner_id does not exist");
    var withoutConsents = new ArrayList<>(seed);
    withoutConsents.removeIf(t -> t.table().equals("consents"));
    assertThatThrownBy(() -> service.prepare(dataSource, new SubjectPlan(withoutConsents, "gdpr_audit_log"), GdprServiceIT.TEST_KEY))
        .hasMessageContaining("consents.user_id references users (consents_user_id_fkey), but consents is not a subject table");
    var missingTable = List.of(new SubjectPlan.SubjectTable("public.no_such_table", "user_id", null));
    assertThatThrownBy(() -> service.prepare(dataSource, new SubjectPlan(missingTable, "gdpr_audit_log"), GdprServiceIT.TEST_KEY))
        .hasMessage("table public.no_such_table does not exist");
    try (Connection c = dataSource.getConnection()) {
      assertThat(RecipeFixture.userCounts(c, alice).get("users")).isEqualTo(1L);
    }
  }

  @Test
  void theAuditLogRejectsUpdatesAndDeletesAndSurvivesTheErasure() throws Exception {
    var service = service();
    var prepared = service.prepare(dataSource, SubjectPlan.seedDefault(), GdprServiceIT.TEST_KEY);
    var req = request(Long.toString(carol));
    service.requested(dataSource, prepared, req, true);
    service.requested(dataSource, prepared, req, true);
    service.erase(dataSource, prepared, req, false, Map.of());
    try (Connection c = dataSource.getConnection(); var s = c.createStatement()) {
      assertThat(auditActions(c, req.uid())).containsExactly("data_deletion_requested", "data_deletion_started", "data_deletion_completed");
      assertThatThrownBy(() -> s.execute("UPDATE gdpr_audit_log SET actor = 'someone else'")).hasMessageContaining("append-only");
      assertThatThrownBy(() -> s.execute("DELETE FROM gdpr_audit_log")).hasMessageContaining("append-only");
      assertThatThrownBy(() -> s.execute("TRUNCATE gdpr_audit_log")).hasMessageContaining("append-only");
      assertThat(query(c, "SELECT actor FROM gdpr_audit_log WHERE request_uid = '" + req.uid() + "'")).containsOnly("dpo@example.com");
    }
  }

  @Test
  void requestsForOneSubjectAreSerialised() throws Exception {
    var service = service();
    var prepared = service.prepare(dataSource, SubjectPlan.seedDefault(), GdprServiceIT.TEST_KEY);
    String hash = prepared.hash(Long.toString(bob));
    try (Connection holder = dataSource.getConnection(); var s = holder.createStatement()) {
      holder.setAutoCommit(false);
      s.execute("SELECT pg_advisory_xact_lock(" + SubjectHash.lockKey(hash) + ")");
      var erasure = CompletableFuture.supplyAsync(() -> {
        try {
          return service.erase(dataSource, prepared, request(Long.toString(bob)), false, Map.of());
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
      });
      Thread.sleep(500);
      assertThat(erasure).as("waits for the other request on the same subject").isNotDone();
      // Another subject is not held up.
      assertThat(service.erase(dataSource, prepared, request(Long.toString(carol)), false, Map.of()).subjectFound()).isTrue();
      holder.commit();
      assertThat(erasure.get(30, TimeUnit.SECONDS).counts().get("recipes")).isEqualTo(3L);
    }
  }

  // ----- helpers -----

  private static S3ExportStore store(TestBucket bucket) {
    return new S3ExportStore(new BackupPolicySpec.ObjectStorage(bucket.name(), "exports/", bucket.endpoint(), "us-east-1", true, null, null),
        bucket.accessKey(), bucket.secretKey(), EXPORT_KEK);
  }

  /** The key-encryption key the tests' exports are sealed with. */
  public static final String EXPORT_KEK_BASE64 = java.util.Base64.getEncoder().encodeToString(new byte[32]).replace('A', 'e');
  static final dev.databaseunit.operator.storage.KeyEncryptionKey EXPORT_KEK =
      dev.databaseunit.operator.storage.KeyEncryptionKey.fromBase64(EXPORT_KEK_BASE64);

  /** An export as its reader gets it: the object decrypted with the KEK through its manifest, which must authenticate. */
  static byte[] readExport(TestBucket bucket, String key) throws Exception {
    var manifest = dev.databaseunit.operator.backup.BackupManifest.fromJson(
        bucket.client().getObjectAsBytes(b -> b.bucket(bucket.name()).key(key + ".manifest.json")).asByteArray());
    byte[] stored = bucket.client().getObjectAsBytes(b -> b.bucket(bucket.name()).key(key + ".enc")).asByteArray();
    try (var in = dev.databaseunit.operator.backup.BackupReader.decrypted(manifest, new java.io.ByteArrayInputStream(stored), EXPORT_KEK)) {
      return in.readAllBytes();
    }
  }

  /** Runs a check every 16 MiB written, while the export is streaming. */
  private static final class MeasuringStore implements ExportStore {
    private final ExportStore delegate;
    private final Runnable check;

    MeasuringStore(ExportStore delegate, Runnable check) {
      this.delegate = delegate;
      this.check = check;
    }

    @Override
    public Upload upload(String key) throws IOException {
      var upload = delegate.upload(key);
      return new Upload() {
        long written;

        @Override
        public void write(int b) throws IOException {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          upload.write(b, off, len);
          if ((written + len) / (16 << 20) != written / (16 << 20)) {
            check.run();
          }
          written += len;
        }

        @Override
        public void complete() throws IOException {
          upload.complete();
        }

        @Override
        public void abort() {
          upload.abort();
        }
      };
    }

    @Override
    public void delete(String key) throws IOException {
      delegate.delete(key);
    }

    @Override
    public String location(String key) {
      return delegate.location(key);
    }

    @Override
    public void close() {}
  }

  static List<String> query(Connection c, String sql) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (var s = c.createStatement(); var rs = s.executeQuery(sql)) {
      while (rs.next()) {
        rows.add(rs.getString(1));
      }
    }
    return rows;
  }

  static List<String> auditActions(Connection c, String requestUid) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (var ps = c.prepareStatement("SELECT action FROM gdpr_audit_log WHERE request_uid = coalesce(?, request_uid) ORDER BY id")) {
      ps.setString(1, requestUid);
      try (var rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.add(rs.getString(1));
        }
      }
    }
    return rows;
  }

  private static List<String> ids(JsonNode doc, String table, String column) {
    List<String> values = new ArrayList<>();
    doc.get("tables").get(table).forEach(row -> values.add(row.get(column).asText()));
    return values;
  }

  static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  static Map<String, String> unzip(byte[] zip) throws IOException {
    Map<String, String> files = new HashMap<>();
    try (var in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      for (var entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
        files.put(entry.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    return files;
  }

  /** Records in RFC 4180 text: line breaks outside quotes. */
  static long csvRecords(String csv) {
    long records = 0;
    boolean quoted = false;
    for (int i = 0; i < csv.length(); i++) {
      char ch = csv.charAt(i);
      if (ch == '"') {
        quoted = !quoted;
      } else if (ch == '\n' && !quoted) {
        records++;
      }
    }
    return records;
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    var all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private static byte[] pgDump(TestDatabase db) throws Exception {
    var process = new ProcessBuilder("pg_dump", "-Fc", "-h", db.host(), "-p", Integer.toString(db.port()), "-U", db.user(), db.name());
    process.environment().put("PGPASSWORD", db.password());
    var p = process.redirectError(ProcessBuilder.Redirect.INHERIT).start();
    byte[] dump = p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).isZero();
    return dump;
  }

  private static void pgRestore(TestDatabase target, byte[] dump) throws Exception {
    var process = new ProcessBuilder("pg_restore", "--no-owner", "-h", target.host(), "-p", Integer.toString(target.port()),
        "-U", target.user(), "-d", target.name());
    process.environment().put("PGPASSWORD", target.password());
    var p = process.redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try (var in = p.getOutputStream()) {
      in.write(dump);
    }
    assertThat(p.waitFor()).isZero();
  }
}

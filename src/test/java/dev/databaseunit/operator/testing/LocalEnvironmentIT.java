package dev.databaseunit.operator.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/** The harness itself: every real component a capability test relies on is there and usable. */
@WithLocalServices
class LocalEnvironmentIT {

  @Test
  void freshDatabaseHasPgvector(TestDatabase db) throws SQLException {
    try (var c = db.connect(); var s = c.createStatement()) {
      s.execute("CREATE EXTENSION vector");
      var rs = s.executeQuery("SELECT '[1,2,3]'::vector <=> '[1,2,4]'::vector, current_setting('server_version_num')::int");
      rs.next();
      assertThat(rs.getDouble(1)).isBetween(0.0, 0.01);
      assertThat(rs.getInt(2)).isGreaterThanOrEqualTo(150000);
    }
  }

  @Test
  void databaseIsReachableThroughPgBouncer(TestDatabase db) throws SQLException {
    try (var c = db.connectViaPgBouncer(); var s = c.createStatement()) {
      var rs = s.executeQuery("SELECT current_database(), inet_server_port()");
      rs.next();
      assertThat(rs.getString(1)).isEqualTo(db.name());
      // The server port is PostgreSQL's, not PgBouncer's: the query really went through the pooler.
      assertThat(rs.getInt(2)).isEqualTo(db.port()).isNotEqualTo(db.pgbouncerPort());
    }
  }

  @Test
  void redisStoresAndExpiresKeys(TestRedis redis) {
    try (var connection = redis.client().connect()) {
      var commands = connection.sync();
      String key = redis.keyPrefix() + ":user_profiles:1";
      commands.setex(key, 60, "alice");
      assertThat(commands.get(key)).isEqualTo("alice");
      assertThat(commands.ttl(key)).isBetween(1L, 60L);
    }
  }

  @Test
  void s3BucketRoundTripsAnObject(TestBucket bucket) {
    bucket.client().putObject(b -> b.bucket(bucket.name()).key("backups/x.bin"), RequestBody.fromString("payload"));
    var object = bucket.client().getObjectAsBytes(b -> b.bucket(bucket.name()).key("backups/x.bin"));
    assertThat(object.asUtf8String()).isEqualTo("payload");
  }

  @Test
  void apiServerServesOurCrds(KubeCluster cluster) {
    try (var client = cluster.newClient()) {
      assertThat(client.getKubernetesVersion().getGitVersion()).isEqualTo("v" + LocalServices.get().kubeVersion());
      assertThat(client.apiextensions().v1().customResourceDefinitions().list().getItems())
          .extracting(CustomResourceDefinition::getMetadata)
          .extracting(m -> m.getName())
          .contains("databaseunits.databaseunit.dev", "backuppolicies.databaseunit.dev",
              "maintenancewindows.databaseunit.dev", "gdprrequests.databaseunit.dev");
    }
  }
}

package dev.databaseunit.cache.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.cache.client.testing.KeyValueTable;
import dev.databaseunit.cache.client.testing.LocalServices;
import dev.databaseunit.cache.client.testing.PrivateRedis;
import dev.databaseunit.cache.client.testing.ScratchDatabase;
import dev.databaseunit.cache.client.testing.TestCertificates;
import io.lettuce.core.RedisConnectionException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The cache encrypted in transit: a TLS-only private redis-server, verified against the unit's CA. */
class RedisTlsIT {

  @Test
  void connectsOverTlsOnlyWhenTheServerCertificateVerifiesAgainstTheGivenCa() throws Exception {
    CachePolicies policies = CachePolicies.seedDefaults("tls");
    try (TestCertificates certificates = TestCertificates.create();
        ScratchDatabase database = new ScratchDatabase(LocalServices.load(), "cacheclient_tls");
        KeyValueTable table = new KeyValueTable(database);
        PrivateRedis redis = PrivateRedis.withTls(certificates)) {
      var uri = new CachePolicies.RedisLocation("127.0.0.1", redis.port(), true).uri(null, null);

      try (TwoLevelCache writer = TwoLevelCache.builder(uri, policies).trustedCertificates(certificates.ca()).build();
          TwoLevelCache reader = TwoLevelCache.builder(uri, policies).trustedCertificates(certificates.ca()).build()) {
        CachedType<String> writerUsers = writer.type("user_profiles", ValueCodec.STRING, table);
        CachedType<String> readerUsers = reader.type("user_profiles", ValueCodec.STRING, table);
        writerUsers.put("t", "v1");
        assertThat(readerUsers.get("t")).contains("v1");
        assertThat(readerUsers.stats().l2Hits()).isEqualTo(1);  // served by the TLS Redis, not the database
        writerUsers.put("t", "v2");  // the invalidation travels over the TLS pub/sub connection
        await().atMost(Duration.ofSeconds(1)).until(() -> readerUsers.get("t").orElseThrow().equals("v2"));
      }

      // Without the unit's CA the server is not trusted: no connection, rather than an unverified one.
      assertThatThrownBy(() -> TwoLevelCache.builder(uri, policies).build())
          .isInstanceOf(RedisConnectionException.class);
    }
  }
}

package dev.databaseunit.cache.client.testing;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Coordinates of the shared PostgreSQL and Redis that scripts/start-services.sh runs (written to
 * ~/.cache/databaseunit/services.properties). Read only: tests never stop or reconfigure them.
 */
public record LocalServices(String postgresHost, int postgresPort, String postgresUser, String postgresPassword,
    int redisPort) {

  public static LocalServices load() {
    Properties properties = new Properties();
    Path file = Path.of(System.getProperty("user.home"), ".cache", "databaseunit", "services.properties");
    if (Files.exists(file)) {
      try (Reader reader = Files.newBufferedReader(file)) {
        properties.load(reader);
      } catch (IOException e) {
        throw new IllegalStateException("cannot read " + file, e);
      }
    }
    return new LocalServices(
        properties.getProperty("postgres.host", "127.0.0.1"),
        Integer.parseInt(properties.getProperty("postgres.port", "55432")),
        properties.getProperty("postgres.user", "postgres"),
        properties.getProperty("postgres.password", "local-test-superuser"),
        Integer.parseInt(properties.getProperty("redis.port", "56379")));
  }

  public String jdbcUrl(String database) {
    return "jdbc:postgresql://" + postgresHost + ":" + postgresPort + "/" + database;
  }
}

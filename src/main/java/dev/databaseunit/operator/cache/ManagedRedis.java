package dev.databaseunit.operator.cache;

/** Names of the objects of a Redis the operator runs for a unit (spec.cache.managed). */
final class ManagedRedis {
  static final int PORT = 6379;

  private ManagedRedis() {}

  static String serviceHost(String unitName, String namespace) {
    return unitName + "-redis." + namespace + ".svc";
  }

  static String credentialsSecret(String unitName) {
    return unitName + "-redis-credentials";
  }
}

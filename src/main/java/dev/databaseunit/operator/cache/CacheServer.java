package dev.databaseunit.operator.cache;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** The few Redis commands the operator needs for one unit's cache. Failures are unchecked (Lettuce's). */
public interface CacheServer {

  RedisInfo info();

  /** CONFIG GET of maxmemory (bytes) and maxmemory-policy. */
  Map<String, String> memoryConfig();

  /** CONFIG SET of both; Redis forgets them on restart unless its config file has them. */
  void setMemoryConfig(long maxMemoryBytes, String evictionPolicy);

  /** Visits the keys matching a glob, a SCAN page at a time (never KEYS, which blocks the server). */
  void scan(String pattern, Consumer<List<String>> page);

  /** UNLINK (deletion off the main thread): the number of keys that existed. */
  long unlink(List<String> keys);

  /** TTL of each key in seconds: -1 without a TTL, -2 gone (pipelined). */
  List<Long> ttls(List<String> keys);

  /** EXPIRE each key (pipelined). */
  void expire(List<String> keys, long seconds);

  void publish(String channel, String message);
}

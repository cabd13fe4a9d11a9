package dev.databaseunit.cache.client;

/** Turns a cached value into the string stored in Redis and back. */
public interface ValueCodec<V> {

  String encode(V value);

  V decode(String stored);

  /** Values that already are strings (JSON an application serialises itself, ids, ...). */
  ValueCodec<String> STRING = new ValueCodec<>() {
    @Override
    public String encode(String value) {
      return value;
    }

    @Override
    public String decode(String stored) {
      return stored;
    }
  };
}

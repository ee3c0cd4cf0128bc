import { expect } from "chai";
import { PendingStore } from "../src/roles/pendingStore";

const action = (key: string, notBefore = 0) => ({ key, kind: "verifier.resolve", notBefore, payload: { jobId: "1", salt: `salt-${key}` } });

describe("PendingStore: finished actions and reorganisations", function () {
  it("takes a completed action out of the due list and keeps it with the head it finished at", function () {
    const store = new PendingStore(":memory:", "test");
    store.put(action("a"));
    store.put(action("b"));
    store.complete("a", 10);
    expect(store.due(100).map((a) => a.key)).to.deep.equal(["b"]);
    expect(store.get("a")).to.equal(undefined);
    store.close();
  });

  it("puts back, unchanged, every action finished above a fork, and only those", function () {
    const store = new PendingStore(":memory:", "test");
    for (const key of ["below", "at", "above"]) store.put(action(key));
    store.complete("below", 8);
    store.complete("at", 10);
    store.complete("above", 11);
    expect(store.restoreSince(10)).to.deep.equal(["above"]);
    expect(store.due(100)).to.deep.equal([action("above")]); // same payload: a salt never changes
    expect(store.restoreSince(10)).to.deep.equal([]);
    store.close();
  });

  it("never restores an action the chain refused (deleted) or one pruned as older than any reorganisation", function () {
    const store = new PendingStore(":memory:", "test");
    store.put(action("refused"));
    store.delete("refused");
    store.put(action("old"));
    store.complete("old", 5);
    store.pruneDone(5);
    expect(store.restoreSince(0)).to.deep.equal([]);
    expect(store.due(100)).to.deep.equal([]);
    store.close();
  });
});

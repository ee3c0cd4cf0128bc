/**
 * `npm start`'s arguments for the chain it runs on (scripts/devnet/main.ts parseArgs) and the ETH
 * check a devnet on an existing chain makes before it sends anything (boot.ts requireEth).
 */
import path from "node:path";
import { expect } from "chai";
import { ethers } from "hardhat";
import { Wallet } from "ethers";
import { requireEth, MIN_ETH } from "../../scripts/devnet/boot";
import { HARDHAT_MNEMONIC } from "../../scripts/devnet/chain";
import { parseArgs } from "../../scripts/devnet/main";
import { devnetWallet, useDevnetMnemonic } from "../../scripts/devnet/setup";

const MNEMONIC = "legal winner thank year wave sausage worth useful legal winner thank yellow";

describe("npm start's chain arguments", function () {
  describe("--chain", function () {
    it("defaults to hardhat and deployments/localhost.json", function () {
      const o = parseArgs([], {});
      expect(o.chain).to.equal("hardhat");
      expect(path.basename(o.deploymentFile)).to.equal("localhost.json");
      expect(o.rpc).to.equal(undefined);
    });

    it("takes anvil, whose deployment file is deployments/anvil.json unless --deployment names one", function () {
      expect(parseArgs(["--chain", "anvil"], {}).chain).to.equal("anvil");
      expect(path.basename(parseArgs(["--chain", "anvil"], {}).deploymentFile)).to.equal("anvil.json");
      expect(path.basename(parseArgs(["--chain", "anvil", "--deployment", "/tmp/x.json"], {}).deploymentFile)).to.equal("x.json");
    });

    it("refuses a chain it does not know, naming the ones it does", function () {
      expect(() => parseArgs(["--chain", "geth"], {})).to.throw('--chain must be one of hardhat, anvil, not "geth"');
    });
  });

  describe("--rpc", function () {
    it("takes an http(s) URL with GLASSBOX_MNEMONIC set, and writes deployments/rpc.json", function () {
      const o = parseArgs(["--rpc", "http://10.0.0.5:8545"], { GLASSBOX_MNEMONIC: MNEMONIC });
      expect(o.rpc).to.equal("http://10.0.0.5:8545");
      expect(path.basename(o.deploymentFile)).to.equal("rpc.json");
    });

    it("refuses to run without GLASSBOX_MNEMONIC, saying which accounts need ETH", function () {
      expect(() => parseArgs(["--rpc", "http://10.0.0.5:8545"], {})).to.throw("export GLASSBOX_MNEMONIC=");
      expect(() => parseArgs(["--rpc", "http://10.0.0.5:8545"], {})).to.throw("accounts 0 to 11 hold ETH");
    });

    it("refuses something that is not an http(s) URL", function () {
      for (const bad of ["", "localhost:8545", "ws://127.0.0.1:8546", "file:///etc/passwd"]) {
        expect(() => parseArgs(["--rpc", bad], { GLASSBOX_MNEMONIC: MNEMONIC }), bad).to.throw("--rpc must be an http(s) URL");
      }
    });

    it("refuses --rpc together with --chain", function () {
      expect(() => parseArgs(["--rpc", "http://10.0.0.5:8545", "--chain", "anvil"], { GLASSBOX_MNEMONIC: MNEMONIC })).to.throw("--rpc and --chain exclude each other");
    });
  });

  describe("--content-store-port", function () {
    it("defaults to 9470 and takes a port", function () {
      expect(parseArgs([], {}).contentStorePort).to.equal(9470);
      expect(parseArgs(["--content-store-port", "9555"], {}).contentStorePort).to.equal(9555);
    });

    it("refuses something that is not a port", function () {
      expect(() => parseArgs(["--content-store-port", "0"], {})).to.throw("--content-store-port must be an integer from 1 to 65535");
    });
  });

  describe("the ETH check on an existing chain", function () {
    afterEach(function () {
      useDevnetMnemonic(HARDHAT_MNEMONIC);
    });

    it("passes when every key holds the minimum (Hardhat's funded accounts)", async function () {
      await requireEth(ethers.provider, [0, 1, 2]);
    });

    it("names every key short of the minimum, with its balance, before anything is sent", async function () {
      useDevnetMnemonic(MNEMONIC);
      const [funder] = await ethers.getSigners();
      await (await funder.sendTransaction({ to: devnetWallet(1).address, value: MIN_ETH })).wait();
      const error = await requireEth(ethers.provider, [0, 1, 2]).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).to.contain(`#0 ${devnetWallet(0).address} (0.0 ETH)`);
      expect(error?.message).to.contain(`#2 ${devnetWallet(2).address} (0.0 ETH)`);
      expect(error?.message).to.not.contain(`#1 `);
    });

    it("refuses a mnemonic that is not BIP-39", function () {
      expect(() => useDevnetMnemonic("not a real phrase")).to.throw();
      expect(devnetWallet(0).address).to.equal(Wallet.fromPhrase(HARDHAT_MNEMONIC).address);
    });
  });
});

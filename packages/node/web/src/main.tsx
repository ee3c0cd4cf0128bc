/** The explorer's pages: a Preact app routed with preact-iso, served by `glassbox explorer` at /. */
import { render } from "preact";
import { LocationProvider, Route, Router, useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { Dispute } from "./pages/Dispute";
import { Job } from "./pages/Job";
import { Model } from "./pages/Model";
import { Node } from "./pages/Node";
import { Overview } from "./pages/Overview";
import "./style.css";

function Search() {
  const { route } = useLocation();
  const [q, setQ] = useState("");
  const go = (e: Event) => {
    e.preventDefault();
    const v = q.trim();
    if (/^0x[0-9a-fA-F]{40}$/.test(v)) route(`/nodes/${v}`);
    else if (/^#?\d+$/.test(v)) route(`/jobs/${v.replace("#", "")}`);
  };
  return (
    <form class="search" onSubmit={go}>
      <input data-testid="search" placeholder="job id or node address" value={q} onInput={(e) => setQ((e.currentTarget as HTMLInputElement).value)} />
    </form>
  );
}

function NotFound() {
  return (
    <div class="page" data-testid="not-found">
      <h1>Not found</h1>
      <p>
        No page here. <a href="/">Back to the network</a>.
      </p>
    </div>
  );
}

// preact-iso passes route params as props; these adapters give each page its typed prop.
const JobRoute = ({ id }: { id: string }) => <Job id={id} />;
const NodeRoute = ({ address }: { address: string }) => <Node address={address} />;
const ModelRoute = ({ id }: { id: string }) => <Model id={id} />;
const DisputeRoute = ({ id }: { id: string }) => <Dispute id={id} />;

function App() {
  return (
    <LocationProvider>
      <header class="top">
        <a href="/" class="brand" data-testid="home-link">
          Glassbox <span>explorer</span>
        </a>
        <Search />
      </header>
      <main>
        <Router>
          <Route path="/" component={Overview} />
          <Route path="/jobs/:id" component={JobRoute} />
          <Route path="/nodes/:address" component={NodeRoute} />
          <Route path="/models/:id" component={ModelRoute} />
          <Route path="/disputes/:id" component={DisputeRoute} />
          <Route default component={NotFound} />
        </Router>
      </main>
    </LocationProvider>
  );
}

render(<App />, document.getElementById("app")!);

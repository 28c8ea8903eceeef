package inbox

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Agents' websockets on several gateways: each node writes, every few
// seconds, one document keyed by its name with the agents it has agent
// websockets for, so that another node does not set an agent offline who
// is connected elsewhere, nor count them inactive while they work on
// another node. A node's document that has not been written again for a
// while is a dead node's, and no longer counts.

// AgentSockets is one agent's websockets on one node.
type AgentSockets struct {
	AgentID string `bson:"agent"`
	// Sockets is how many agent websockets the agent has open there.
	Sockets int `bson:"sockets"`
	// Sessions tag the sign-in sessions the sockets belong to (an opaque
	// hash of each session, never the token), so that signing out of one
	// session can tell whether another is still connected.
	Sessions []string `bson:"sessions"`
	// Active is the agent's last activity in the inbox seen there.
	Active time.Time `bson:"active"`
}

// NodeSockets is one node's agent websockets as it last wrote them.
type NodeSockets struct {
	Node   string         `bson:"_id"`
	At     time.Time      `bson:"at"`
	Agents []AgentSockets `bson:"agents"`
}

// nodeSocketsKeep is how long a node's document stays after it was last
// written (then it is deleted by another node's write).
const nodeSocketsKeep = time.Hour

func (s *Store) nodeSockets() *mongo.Collection { return s.Database().Collection("node_sockets") }

// PutAgentSockets writes node's agent websockets as of at (replacing what
// it wrote before), and deletes the documents of nodes gone for an hour.
func (s *Store) PutAgentSockets(ctx context.Context, node string, at time.Time, agents []AgentSockets) error {
	if agents == nil {
		agents = []AgentSockets{}
	}
	doc := NodeSockets{Node: node, At: at, Agents: agents}
	if _, err := s.nodeSockets().ReplaceOne(ctx, bson.M{"_id": node}, doc, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("store: agent sockets of %s: %w", node, err)
	}
	if _, err := s.nodeSockets().DeleteMany(ctx, bson.M{"at": bson.M{"$lt": at.Add(-nodeSocketsKeep)}}); err != nil {
		return fmt.Errorf("store: delete old agent sockets: %w", err)
	}
	return nil
}

// AgentSocketsSince returns every node's agent websockets written at or
// after since.
func (s *Store) AgentSocketsSince(ctx context.Context, since time.Time) ([]NodeSockets, error) {
	cur, err := s.nodeSockets().Find(ctx, bson.M{"at": bson.M{"$gte": since}})
	if err != nil {
		return nil, fmt.Errorf("store: agent sockets: %w", err)
	}
	var out []NodeSockets
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("store: agent sockets: %w", err)
	}
	return out, nil
}

// DropAgentSockets deletes node's document (it stops).
func (s *Store) DropAgentSockets(ctx context.Context, node string) error {
	if _, err := s.nodeSockets().DeleteOne(ctx, bson.M{"_id": node}); err != nil {
		return fmt.Errorf("store: drop agent sockets of %s: %w", node, err)
	}
	return nil
}

package featherweight

import (
	"slices"

	"github.com/grafana/sobek"
)

// A session's JS object is a sobek dynamic object backed by the session itself: its own
// properties (connected, error, protocol, and any a script adds) live in the session's
// sessionProps, and its methods (send, sendAsync, close) come from one prototype per VU runtime.
// A session then carries only its own state: a few hundred bytes instead of three native
// functions and a property map (about 2.4 KiB) each.

// sessionProps are a session object's own properties, in insertion order (a handful: a linear
// scan beats a map). They implement sobek.DynamicObject: the properties are plain data
// properties, writable, enumerable and deletable as on an ordinary object.
type sessionProps []sessionProp

type sessionProp struct {
	key string
	val sobek.Value
}

var _ sobek.DynamicObject = (*sessionProps)(nil)

func (p *sessionProps) index(key string) int {
	return slices.IndexFunc(*p, func(e sessionProp) bool { return e.key == key })
}

// Get implements sobek.DynamicObject: nil for a key that is not an own property (the prototype's
// methods are then found).
func (p *sessionProps) Get(key string) sobek.Value {
	if i := p.index(key); i >= 0 {
		return (*p)[i].val
	}
	return nil
}

// Set implements sobek.DynamicObject.
func (p *sessionProps) Set(key string, val sobek.Value) bool {
	if i := p.index(key); i >= 0 {
		(*p)[i].val = val
	} else {
		*p = append(*p, sessionProp{key, val})
	}
	return true
}

// Has implements sobek.DynamicObject.
func (p *sessionProps) Has(key string) bool { return p.index(key) >= 0 }

// Delete implements sobek.DynamicObject.
func (p *sessionProps) Delete(key string) bool {
	if i := p.index(key); i >= 0 {
		*p = slices.Delete(*p, i, i+1)
	}
	return true
}

// Keys implements sobek.DynamicObject.
func (p *sessionProps) Keys() []string {
	keys := make([]string, len(*p))
	for i, e := range *p {
		keys[i] = e.key
	}
	return keys
}

// sessionObject is the JS object of s, with the VU's session prototype.
func (mi *ModuleInstance) sessionObject(s *session) *sobek.Object {
	obj := mi.vu.Runtime().NewDynamicObject(s)
	_ = obj.SetPrototype(mi.sessionPrototype()) // cannot fail: a dynamic object takes any prototype
	return obj
}

// sessionPrototype holds the session methods, made once per VU runtime: every method finds its
// session in `this`.
func (mi *ModuleInstance) sessionPrototype() *sobek.Object {
	if mi.sessionProto != nil {
		return mi.sessionProto
	}
	rt := mi.vu.Runtime()
	proto := rt.NewObject()
	method := func(name string, length int, f func(s *session, call sobek.FunctionCall) sobek.Value) {
		fn := rt.ToValue(func(call sobek.FunctionCall) sobek.Value {
			return f(mi.thisSession(call.This, name), call)
		}).ToObject(rt)
		_ = fn.DefineDataProperty("name", rt.ToValue(name), sobek.FLAG_FALSE, sobek.FLAG_TRUE, sobek.FLAG_FALSE)
		_ = fn.DefineDataProperty("length", rt.ToValue(length), sobek.FLAG_FALSE, sobek.FLAG_TRUE, sobek.FLAG_FALSE)
		_ = proto.Set(name, fn) // enumerable, as the methods were when each object had its own
	}
	method("send", 2, func(s *session, call sobek.FunctionCall) sobek.Value {
		return s.send(call.Argument(0), call.Argument(1))
	})
	method("sendAsync", 2, func(s *session, call sobek.FunctionCall) sobek.Value {
		return rt.ToValue(s.sendAsync(call.Argument(0), call.Argument(1)))
	})
	method("close", 0, func(s *session, _ sobek.FunctionCall) sobek.Value {
		s.close()
		return sobek.Undefined()
	})
	mi.sessionProto = proto
	return proto
}

// thisSession is the session a method was called on; a call on anything else (a method taken
// off its session and called alone, or applied to another object) throws a TypeError.
func (mi *ModuleInstance) thisSession(this sobek.Value, method string) *session {
	if obj, ok := this.(*sobek.Object); ok {
		if s, ok := obj.Export().(*session); ok && s.mi == mi {
			return s
		}
	}
	panic(mi.vu.Runtime().NewTypeError(
		"session." + method + "() must be called on a session from fw.connect(), as session." + method + "(...)"))
}

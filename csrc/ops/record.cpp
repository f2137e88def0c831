#include "ops/record.h"

#include <cctype>

namespace pyjac {

void throw_released(const char* node) {
  throw std::runtime_error(
      std::string("Trying to backward through the graph a second time (") + node +
      "'s saved tensors were already freed). Specify retain_graph=True on the first backward or grad call "
      "if you need to backward through the graph again.");
}

TensorList OpNode::apply(TensorList&& grads, Needs needs) {
  if (released_) throw_released(spec_.name);
  versions_.check(spec_.name, saved_, &out_data, 1);
  return spec_.vjp(*this, grads[0], needs);
}

void SavedVersions::remember(const TensorList& saved, const Tensor* outs, size_t n_outs) {
  n_saved_ = uint32_t(saved.size());
  n_outs_ = uint32_t(n_outs);
  const size_t n = saved.size() + n_outs;
  if (n > 3) more_.resize(n - 3);
  for (size_t i = 0; i < n; ++i) {
    const Tensor& t = i < saved.size() ? saved[i] : outs[i - saved.size()];
    (i < 3 ? inline_[i] : more_[i - 3]) = t.defined() ? t->storage->version : 0;
  }
}

namespace {

[[noreturn]] void throw_modified(const char* node, const std::string& which, const Tensor& t, uint64_t expected) {
  throw std::runtime_error(
      std::string("one of the variables needed for gradient computation has been modified by an inplace operation: ") +
      node + "'s " + which + " (a " + describe(t) + ") is at version " + std::to_string(t->storage->version) +
      "; expected version " + std::to_string(expected) +
      ". Hint: modify a copy (x.copy()) instead, or modify it only after the backward pass.");
}

}  // namespace

void SavedVersions::check(const char* node, const TensorList& saved, const Tensor* outs, size_t n_outs) const {
  for (size_t i = 0; i < n_saved_ && i < saved.size(); ++i)
    if (saved[i].defined() && saved[i]->storage->version != at(i))
      throw_modified(node, "saved tensor " + std::to_string(i), saved[i], at(i));
  for (size_t i = 0; i < n_outs_ && i < n_outs; ++i) {
    const Tensor& t = outs[i];
    if (t.defined() && t->storage->version != at(n_saved_ + i))
      throw_modified(node, n_outs == 1 ? std::string("saved output") : "saved output " + std::to_string(i), t,
                     at(n_saved_ + i));
  }
}

namespace {

// The op a node name belongs to, as Python calls it, for errors raised while the op runs
// forward: "BroadcastToBackward" -> "broadcast_to", "RsubBackward" -> "subtract".
std::string forward_op_name(const std::string& node) {
  std::string base = node;
  const std::string suffix = "Backward";
  if (base.size() > suffix.size() && base.compare(base.size() - suffix.size(), suffix.size(), suffix) == 0)
    base.resize(base.size() - suffix.size());
  static const std::pair<const char*, const char*> numpy_names[] = {
      {"Sub", "subtract"}, {"Rsub", "subtract"}, {"Mul", "multiply"}, {"Div", "divide"},
      {"Rdiv", "divide"},  {"Pow", "power"},     {"Rpow", "power"},   {"Neg", "negative"}};
  for (auto [short_name, name] : numpy_names)
    if (base == short_name) return name;
  std::string out;
  for (size_t i = 0; i < base.size(); ++i) {
    const char c = base[i];
    if (std::isupper(static_cast<unsigned char>(c))) {
      if (i > 0) out += '_';
      out += char(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void throw_stale_view(const char* node, const Tensor& t) {
  throw std::runtime_error(
      forward_op_name(node) + ": an input (a view, " + describe(t) +
      ") was taken from a tensor before an in-place operation changed that tensor's autograd history, so it still "
      "describes the old history (pyjac does not replay views onto the new one). Take the view again after the "
      "in-place operation.");
}

void OpNode::release_saved() {
  if (saved_.empty() && !out_data.defined()) return;  // nothing saved: running again is harmless
  saved_.clear();
  out_data = Tensor();
  released_ = true;
}

void OpNode::visit_references(ReferenceVisitor& v) const {
  Node::visit_references(v);
  for (const Tensor& t : saved_)
    if (t.defined()) v.tensor(t.impl());
  if (out_data.defined()) v.tensor(out_data.impl());
}

void OpNode::save_input(size_t i, const Tensor& t) {
  if (saved_.size() > n_inputs_)
    throw std::logic_error(std::string(spec_.name) + ": inputs are saved before other tensors");
  if (i >= n_inputs_) {
    n_inputs_ = uint32_t(i + 1);
    saved_.resize(n_inputs_);
  }
  saved_[i] = t;
}

void OpNode::missing_input(size_t i) const {
  throw std::logic_error(std::string(spec_.name) + ": the rule reads input " + std::to_string(i) +
                         ", which the forward did not save");
}

void OpNode::wrong_params(const std::type_info& asked) const {
  throw std::logic_error(
      std::string(spec_.name) + ": the rule reads parameters " + asked.name() +
      (params_type_ ? std::string(", the node holds ") + params_type_->name() : ", the node has none"));
}

Tensor reattached_output(const Tensor& data, Node& node, uint32_t nr) {
  Tensor t = data.detach();
  t->tangents = data->tangents;                                      // forward-over-reverse reads the output's tangent
  if (!GradMode::is_enabled() || node.next_edges.empty()) return t;  // off the tape: a constant
  t->requires_grad = true;
  t->grad_fn = node.shared_from_this();
  t->output_nr = nr;
  return t;
}

Tensor OpNode::output() { return reattached_output(out_data, *this, 0); }

Tensor OpNode::lift(size_t i, const Tensor& tangent) const {
  const Shape& in = shapes[i];
  const int64_t missing = out_ndim - int64_t(in.size());
  if (missing == 0) return tangent;
  Shape s(tangent.shape().begin(), tangent.shape().end() - int64_t(in.size()));
  s.insert(s.end(), size_t(missing), 1);
  s.insert(s.end(), in.begin(), in.end());
  return reshape(tangent, s);
}

RecordModes record_modes(const char* op, const TensorList& inputs) {
  RecordModes m;
  if (!GradMode::is_enabled() && !ForwardAD::any_live()) return m;
  for (auto& t : inputs) {
    check_not_stale(op, t);
    m.reverse |= t.requires_grad();
    m.forward |= !t->tangents.empty();
  }
  m.reverse &= GradMode::is_enabled();
  m.forward &= ForwardAD::any_live();
  return m;
}

Recording attach_node(std::shared_ptr<OpNode> node, Tensor& out, const TensorList& inputs, RecordModes modes) {
  const auto [reverse, forward] = modes;
  node->out_ndim = out.ndim();
  if (reverse) {
    node->next_edges.reserve(inputs.size());
    for (auto& t : inputs) node->next_edges.push_back(gradient_edge(t));
    out->requires_grad = true;
    out->output_nr = 0;
    out->grad_fn = node;
    if (AnomalyMode::is_enabled()) AnomalyMode::note_creation(*node);  // anomaly mode: where it was made
  }
  return {std::move(node), forward};
}

namespace {

template <class Inputs>
void finish_impl(const Recording& r, const Tensor& out, const Inputs& inputs) {
  if (!r.forward) return;
  const std::vector<uint64_t> levels = ForwardAD::live();
  for (uint64_t level : levels) {
    TensorList tangents;
    int64_t batch = -1;
    for (const auto& in : inputs) {
      const Tensor& x = *in;
      Tensor t = ForwardAD::tangent(x, level);
      if (t.defined()) batch = t.ndim() - x.ndim();
      tangents.push_back(std::move(t));
    }
    if (batch < 0) continue;
    Tensor t_out;
    {
      ForwardAD::Hide hide(level);
      t_out = r.node->jvp(tangents);
      Shape expected(size_t(batch), 0);
      for (const auto& t : tangents)
        if (t.defined()) {
          expected.assign(t.shape().begin(), t.shape().begin() + batch);
          break;
        }
      expected.insert(expected.end(), out.shape().begin(), out.shape().end());
      if (t_out.shape() != expected) t_out = broadcast_to(t_out, expected);
      if (t_out.dtype() != out.dtype() && is_floating(out.dtype())) t_out = astype(t_out, out.dtype());
    }
    ForwardAD::set_tangent(out, level, t_out);
    if (r.node->out_data.defined()) ForwardAD::set_node_held_tangent(r.node->out_data, level, t_out);
  }
}

struct ListView {
  const TensorList& list;
  struct It {
    TensorList::const_iterator it;
    const Tensor* operator*() const { return &*it; }
    It& operator++() {
      ++it;
      return *this;
    }
    bool operator!=(const It& o) const { return it != o.it; }
  };
  It begin() const { return {list.begin()}; }
  It end() const { return {list.end()}; }
};

}  // namespace

void finish(const Recording& r, const Tensor& out, std::initializer_list<const Tensor*> inputs) {
  r.node->remember_versions();
  finish_impl(r, out, inputs);
}
void finish(const Recording& r, const Tensor& out, const TensorList& inputs) {
  r.node->remember_versions();
  finish_impl(r, out, ListView{inputs});
}

Tensor plus(const Tensor& a, const Tensor& b) {
  if (!a.defined()) return b;
  if (!b.defined()) return a;
  return add(a, b);
}

}  // namespace pyjac

// einsum with NumPy's subscripts (implicit or explicit output, '...' broadcasting, repeated
// labels in one operand meaning its diagonal), built entirely from differentiable ops: diagonal,
// broadcast_to, sum, transpose, reshape and matmul. Derivatives of every order therefore come
// from those ops' rules. Operands are contracted left to right; each pairwise contraction is one
// batched matrix product (BLAS), with the shared kept labels as its batch and the summed ones
// as its inner dimension.
#include <algorithm>
#include <map>

#include "ops/record.h"

namespace pyjac {

namespace {

// Labels: 'A'-'Z' are 0-25, 'a'-'z' 26-51 (so sorting ids sorts like NumPy's implicit output),
// and the dims under '...' are kEllipsis + their position counted from the right.
using Labels = std::vector<int>;
constexpr int kEllipsis = 100;

struct EinsumError {
  const std::string& subscripts;
  const TensorList& operands;
  ValueError operator()(const std::string& what) const {
    std::string shapes;
    for (auto& t : operands) shapes += (shapes.empty() ? "" : ", ") + shape_str(t.shape());
    return ValueError("einsum: " + what + " (subscripts '" + subscripts + "', operands with shapes " + shapes + ")");
  }
};

std::string label_name(int id) {
  if (id >= kEllipsis) return "...";
  return std::string(1, char(id < 26 ? 'A' + id : 'a' + (id - 26)));
}

// One term's labels; `ndim` < 0 for the output, where '...' stands for `ellipsis_dims` dims.
Labels parse_term(const std::string& term, int64_t ndim, int64_t ellipsis_dims, bool* has_ellipsis,
                  const EinsumError& err, const std::string& which) {
  Labels letters_before, letters_after;
  bool seen = false;
  for (size_t i = 0; i < term.size(); ++i) {
    const char c = term[i];
    if (c == '.') {
      if (seen || term.compare(i, 3, "...") != 0)
        throw err(which + " has an invalid ellipsis in '" + term + "' (only one '...' is allowed)");
      seen = true;
      i += 2;
    } else if (c >= 'A' && c <= 'Z') {
      (seen ? letters_after : letters_before).push_back(c - 'A');
    } else if (c >= 'a' && c <= 'z') {
      (seen ? letters_after : letters_before).push_back(26 + (c - 'a'));
    } else {
      // A non-ASCII character is several bytes in UTF-8: name all of them, never a lone byte
      // (which would not even decode into the Python message).
      size_t len = 1;
      if (static_cast<unsigned char>(c) >= 0x80)
        while (i + len < term.size() && (static_cast<unsigned char>(term[i + len]) & 0xC0) == 0x80) ++len;
      throw err(which + " has an invalid subscript character '" + term.substr(i, len) +
                "' (subscripts are the ASCII letters a-z and A-Z)");
    }
  }
  *has_ellipsis = seen;
  const int64_t letters = int64_t(letters_before.size() + letters_after.size());
  int64_t ell = ellipsis_dims;
  if (ndim >= 0) {
    ell = ndim - letters;
    if (!seen && ell != 0)
      throw err(which + " has " + std::to_string(ndim) + " dimensions but its subscripts '" + term + "' give " +
                std::to_string(letters));
    if (ell < 0)
      throw err(which + " has " + std::to_string(ndim) + " dimensions, fewer than the " + std::to_string(letters) +
                " subscripts in '" + term + "'");
  }
  Labels out = letters_before;
  if (seen)
    for (int64_t j = ell - 1; j >= 0; --j) out.push_back(kEllipsis + int(j));
  out.insert(out.end(), letters_after.begin(), letters_after.end());
  return out;
}

bool has(const Labels& l, int id) { return std::find(l.begin(), l.end(), id) != l.end(); }

int64_t index_of(const Labels& l, int id) { return int64_t(std::find(l.begin(), l.end(), id) - l.begin()); }

// Sums x over the dims whose labels fail `keep`.
template <class Keep>
Tensor sum_out(const Tensor& x, Labels& labels, Keep keep) {
  std::vector<int64_t> axes;
  Labels rest;
  for (size_t d = 0; d < labels.size(); ++d) {
    if (keep(labels[d]))
      rest.push_back(labels[d]);
    else
      axes.push_back(int64_t(d));
  }
  if (axes.empty()) return x;
  labels = rest;
  return sum(x, axes, false);
}

Tensor permuted(const Tensor& x, const Labels& labels, const Labels& order) {
  std::vector<int64_t> perm;
  for (int id : order) perm.push_back(index_of(labels, id));
  bool identity = true;
  for (size_t i = 0; i < perm.size(); ++i) identity &= perm[i] == int64_t(i);
  return identity ? x : transpose(x, perm);
}

// a (labels la) times b (labels lb), summing the shared labels that `keep` rejects.
template <class Keep>
Tensor contract(const Tensor& a, Labels& la, const Tensor& b, const Labels& lb, Keep keep,
                const std::map<int, int64_t>& size) {
  Labels batch, summed, a_only, b_only;
  for (int id : la) {
    if (!has(lb, id))
      a_only.push_back(id);
    else
      (keep(id) ? batch : summed).push_back(id);
  }
  for (int id : lb)
    if (!has(la, id)) b_only.push_back(id);
  auto count = [&](const Labels& l) {
    int64_t n = 1;
    for (int id : l) n *= size.at(id);
    return n;
  };
  const int64_t nb = count(batch), m = count(a_only), k = count(summed), n = count(b_only);
  Labels a_order = batch, b_order = batch;
  a_order.insert(a_order.end(), a_only.begin(), a_only.end());
  a_order.insert(a_order.end(), summed.begin(), summed.end());
  b_order.insert(b_order.end(), summed.begin(), summed.end());
  b_order.insert(b_order.end(), b_only.begin(), b_only.end());
  Tensor a3 = reshape(permuted(a, la, a_order), {nb, m, k});
  Tensor b3 = reshape(permuted(b, lb, b_order), {nb, k, n});
  Tensor prod = matmul(a3, b3);
  Labels out_labels = batch;
  out_labels.insert(out_labels.end(), a_only.begin(), a_only.end());
  out_labels.insert(out_labels.end(), b_only.begin(), b_only.end());
  Shape out_shape;
  for (int id : out_labels) out_shape.push_back(size.at(id));
  la = out_labels;
  return reshape(prod, out_shape);
}

}  // namespace

Tensor einsum(const std::string& subscripts_in, const TensorList& operands) {
  const EinsumError err{subscripts_in, operands};
  std::string subscripts;
  for (char c : subscripts_in)
    if (c != ' ') subscripts += c;
  if (operands.empty()) throw err("at least one operand is needed");

  const size_t arrow = subscripts.find("->");
  const bool explicit_out = arrow != std::string::npos;
  const std::string lhs = subscripts.substr(0, arrow);
  std::vector<std::string> terms;
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != operands.size())
    throw err(std::to_string(terms.size()) + " subscript terms for " + std::to_string(operands.size()) + " operands");

  std::vector<Labels> labels;
  int64_t ellipsis_dims = 0;
  for (size_t i = 0; i < terms.size(); ++i) {
    bool e;
    labels.push_back(parse_term(terms[i], operands[i].ndim(), 0, &e, err, "operand " + std::to_string(i)));
    for (int id : labels.back())
      if (id >= kEllipsis) ellipsis_dims = std::max<int64_t>(ellipsis_dims, id - kEllipsis + 1);
  }

  // A label repeated within one operand takes its diagonal: those dims must agree exactly.
  for (size_t i = 0; i < operands.size(); ++i)
    for (size_t p = 0; p < labels[i].size(); ++p)
      for (size_t q = p + 1; q < labels[i].size(); ++q)
        if (labels[i][p] == labels[i][q] && operands[i].shape()[p] != operands[i].shape()[q])
          throw err("dimensions in operand " + std::to_string(i) + " for collapsing index '" +
                    label_name(labels[i][p]) + "' don't match (" + std::to_string(operands[i].shape()[p]) +
                    " != " + std::to_string(operands[i].shape()[q]) + ")");

  // Each label's size; a size of 1 broadcasts against any other.
  std::map<int, int64_t> size;
  for (size_t i = 0; i < operands.size(); ++i)
    for (size_t d = 0; d < labels[i].size(); ++d) {
      const int id = labels[i][d];
      const int64_t s = operands[i].shape()[d];
      auto it = size.find(id);
      if (it == size.end() || it->second == 1)
        size[id] = s;
      else if (s != 1 && s != it->second)
        throw err("label '" + label_name(id) + "' has size " + std::to_string(it->second) + " in one operand and " +
                  std::to_string(s) + " in operand " + std::to_string(i) + ": they can't be broadcast together");
    }

  Labels out;
  if (explicit_out) {
    const std::string rhs = subscripts.substr(arrow + 2);
    if (rhs.find("->") != std::string::npos || rhs.find(',') != std::string::npos)
      throw err("the output subscripts '" + rhs + "' are invalid (one '->' and no ',' after it)");
    bool e;
    out = parse_term(rhs, -1, ellipsis_dims, &e, err, "the output");
    if (!e && ellipsis_dims > 0)
      throw err("the operands have " + std::to_string(ellipsis_dims) +
                " dimensions under '...' but the output has no '...' to put them in");
    for (size_t i = 0; i < out.size(); ++i) {
      if (std::count(out.begin(), out.end(), out[i]) > 1 && out[i] < kEllipsis)
        throw err("output subscript '" + label_name(out[i]) + "' appears more than once");
      if (!size.count(out[i]))
        throw err("output subscript '" + label_name(out[i]) + "' does not appear in the operands' subscripts");
    }
  } else {
    for (int64_t j = ellipsis_dims - 1; j >= 0; --j) out.push_back(kEllipsis + int(j));
    std::map<int, int> uses;
    for (auto& l : labels)
      for (int id : l)
        if (id < kEllipsis) ++uses[id];
    for (auto [id, n] : uses)
      if (n == 1) out.push_back(id);
  }

  // Per operand: diagonals for repeated labels, size-1 dims broadcast to the label's size, and
  // labels no one else needs summed out at once.
  TensorList xs;
  for (size_t i = 0; i < operands.size(); ++i) {
    Tensor x = operands[i];
    Labels& l = labels[i];
    for (bool again = true; again;) {
      again = false;
      for (size_t p = 0; p < l.size() && !again; ++p)
        for (size_t q = p + 1; q < l.size() && !again; ++q)
          if (l[p] == l[q]) {
            const int id = l[p];
            x = diagonal(x, 0, int64_t(p), int64_t(q));
            l.erase(l.begin() + int64_t(q));
            l.erase(l.begin() + int64_t(p));
            l.push_back(id);
            again = true;
          }
    }
    Shape target;
    for (int id : l) target.push_back(size.at(id));
    if (target != x.shape()) x = broadcast_to(x, target);
    x = sum_out(x, l, [&](int id) {
      if (has(out, id)) return true;
      for (size_t j = 0; j < labels.size(); ++j)
        if (j != i && has(labels[j], id)) return true;
      return false;
    });
    xs.push_back(x);
  }

  Tensor cur = xs[0];
  Labels cur_labels = labels[0];
  for (size_t i = 1; i < xs.size(); ++i) {
    auto needed_later = [&](int id) {
      if (has(out, id)) return true;
      for (size_t j = i + 1; j < xs.size(); ++j)
        if (has(labels[j], id)) return true;
      return false;
    };
    cur = contract(cur, cur_labels, xs[i], labels[i], needed_later, size);
  }
  cur = sum_out(cur, cur_labels, [&](int id) { return has(out, id); });
  // Bool operands give bool, as NumPy (sums are ors): the sums above counted in int64.
  bool all_bool = true;
  for (auto& t : operands) all_bool &= t.dtype() == DType::Bool;
  if (all_bool && cur.dtype() != DType::Bool) cur = astype(cur, DType::Bool);
  return permuted(cur, cur_labels, out);
}

}  // namespace pyjac

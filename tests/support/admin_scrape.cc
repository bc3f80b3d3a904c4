#include "support/admin_scrape.h"

#include <cstdlib>

namespace cmq::testing {

ClientResult<HttpResponse> AdminRequest(CmqdProcess& cmqd, const std::string& method,
                                        const std::string& path,
                                        const std::vector<std::string>& headers,
                                        const std::string& body) {
  RawConnection c;
  if (!c.Connect(cmqd.admin_port())) {
    return client::MakeError(client::ErrorKind::kNetwork, "cannot connect to the admin listener");
  }
  std::string text = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const std::string& h : headers) text += h + "\r\n";
  if (!body.empty()) text += "Content-Type: application/x-www-form-urlencoded\r\n";
  text += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  c.Send(text);
  return c.ReadResponse();
}

ClientResult<HttpResponse> AdminGet(CmqdProcess& cmqd, const std::string& path) {
  return AdminRequest(cmqd, "GET", path);
}

double SampleValue(const std::string& text, const std::string& family,
                   const std::vector<std::string>& labels) {
  double found = -1;
  size_t at = 0;
  while ((at = text.find("\n" + family + "{", at)) != std::string::npos) {
    size_t end = text.find('\n', at + 1);
    std::string line = text.substr(at + 1, end - at - 1);
    at = end;
    size_t close = line.rfind('}');
    std::string label_text = line.substr(family.size() + 1, close - family.size() - 1);
    bool all = true;
    for (const std::string& label : labels) {
      all = all && ("," + label_text + ",").find("," + label + ",") != std::string::npos;
    }
    if (!all) continue;
    if (found != -1) return -2;
    found = std::strtod(line.c_str() + close + 1, nullptr);
  }
  return found;
}

double UnlabelledValue(const std::string& text, const std::string& name) {
  size_t at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::strtod(text.c_str() + at + name.size() + 2, nullptr);
}

}  // namespace cmq::testing

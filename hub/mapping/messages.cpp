#include "hub/mapping/messages.h"

#include <map>

namespace hub::mapping {

namespace {

const std::map<std::string, std::string, std::less<>>& messages() {
  static const std::map<std::string, std::string, std::less<>> kMessages = {
      {"date.format", "Ngày không đúng định dạng đã thỏa thuận"},
      {"date.impossible", "Ngày không tồn tại (ví dụ 31/02)"},
      {"date.out_of_range", "Năm nằm ngoài khoảng cho phép"},
      {"number.format", "Giá trị không phải là số hợp lệ"},
      {"number.not_integer", "Giá trị phải là số nguyên"},
      {"number.out_of_range", "Giá trị nằm ngoài khoảng cho phép"},
      {"score.format", "Điểm không đúng định dạng (tối đa 2 chữ số thập phân)"},
      {"score.out_of_range", "Điểm phải từ 0 đến 10"},
      {"school_year.format", "Năm học không đúng định dạng (ví dụ 2025-2026)"},
      {"school_year.not_consecutive", "Năm học phải gồm hai năm liên tiếp"},
      {"phone.format", "Số điện thoại không hợp lệ"},
      {"email.format", "Địa chỉ thư điện tử không hợp lệ"},
      {"personal_id.format", "Số định danh cá nhân phải gồm đúng 12 chữ số"},
      {"personal_id.province", "Ba chữ số đầu của số định danh không phải mã tỉnh nơi đăng ký khai sinh"},
      {"personal_id.birth_year_mismatch", "Số định danh không khớp với năm sinh"},
      {"personal_id.gender_mismatch", "Số định danh không khớp với giới tính"},
      {"text.invalid_utf8", "Chuỗi ký tự không phải UTF-8 hợp lệ"},
      {"value.not_scalar", "Giá trị phải là một giá trị đơn, không phải mảng hay đối tượng"},
      {"value.pattern", "Giá trị không đúng mẫu quy định"},
      {"value.unmapped", "Giá trị không có trong bảng chuyển đổi của đơn vị"},
      {"value.not_allowed", "Giá trị không thuộc danh sách cho phép"},
      {"value.required", "Thiếu trường bắt buộc"},
      {"catalog.not_found", "Mã hoặc tên không có trong danh mục dùng chung"},
      {"catalog.ambiguous", "Tên khớp với nhiều mục trong danh mục; cần gửi mã"},
      {"catalog.not_valid_on", "Mã không còn hiệu lực tại ngày áp dụng"},
      {"catalog.crosswalk_partial",
       "Đơn vị hành chính cũ bị chia tách; cần cán bộ xác định đơn vị mới (chờ duyệt)"},
      {"catalog.crosswalk_missing", "Không tìm thấy đơn vị mới tương ứng với mã đơn vị cũ"},
      {"record.source_id_missing", "Thiếu mã hồ sơ của đơn vị gửi"},
      {"record.not_object", "Bản ghi phải là một đối tượng JSON"},
      {"record.invalid_text",
       "Bản ghi có chuỗi ký tự không phải UTF-8 hợp lệ hoặc chứa ký tự NUL (\\u0000); bản ghi bị từ chối"},
      {"request.invalid_text", "Dữ liệu gửi lên có chuỗi ký tự không phải UTF-8 hợp lệ hoặc chứa ký tự NUL (\\u0000)"},
      {"request.too_deep", "Tài liệu JSON lồng nhau quá nhiều cấp (vượt giới hạn json.max_depth); không xử lý"},
      {"schema.unknown_field", "Trường không có trong lược đồ dữ liệu chuẩn"},
      {"schema.required", "Thiếu trường bắt buộc"},
      {"schema.type", "Sai kiểu dữ liệu"},
      {"schema.too_long", "Giá trị quá dài"},
      {"schema.out_of_range", "Giá trị nằm ngoài khoảng cho phép"},
      {"schema.not_in_enum", "Giá trị không thuộc danh sách cho phép"},
      {"schema.code_unknown", "Mã không có trong danh mục dùng chung"},
      {"schema.date_invalid", "Ngày không hợp lệ"},
      {"schema.personal_id", "Số định danh cá nhân không hợp lệ"},
      {"auth.unit",
       "Bản ghi thuộc đơn vị (tỉnh, phường/xã, trường) ngoài phạm vi được cấp cho đơn vị gửi; không có gì được lưu"},
      {"auth.unit_missing",
       "Bản ghi không nêu phường/xã hay trường nào nên không xác định được đơn vị; đơn vị gửi bị giới hạn theo "
       "đơn vị nên bản ghi không được lưu"},
      {"record.store_refused",
       "Cơ sở dữ liệu từ chối lưu bản ghi này; chưa có gì của bản ghi được lưu. Hãy sửa và gửi lại, hoặc báo mã lô"
       " cho cán bộ vận hành"},
      {"ingest.attempt_failed", "Xử lý lô dữ liệu gặp lỗi; hệ thống sẽ tự thử lại vào thời điểm retry_at"},
      {"ingest.batch_failed",
       "Lô dữ liệu xử lý không thành công sau nhiều lần thử; các bản ghi trong not_processed chưa được xử lý và chưa"
       " được lưu. Hãy gửi lại các bản ghi đó, hoặc đề nghị cán bộ vận hành chạy lại lô sau khi khắc phục"},
      // The mapping language: children of one vendor record, names, load-time checks.
      {"record.duplicate_key",
       "Hai phần tử trong cùng một hồ sơ cho cùng một mã bản ghi con; hồ sơ bị từ chối để không ghi đè dữ liệu"},
      {"record.key_missing", "Phần tử thiếu giá trị dùng làm khóa để phân biệt bản ghi con"},
      {"record.malformed_json", "Dòng dữ liệu không phải JSON hợp lệ"},
      {"name.invalid_character", "Họ tên chứa ký tự không được phép (chỉ gồm chữ cái, dấu, khoảng trắng, dấu nháy, gạch nối)"},
      {"ref.unknown", "Mã tham chiếu không trỏ tới bản ghi nào đã có trong hệ thống"},
      {"record.superseded",
       "Bản ghi đang chờ dữ liệu tham chiếu đã được thay bằng một lần gửi mới hơn của chính bản ghi đó; bản ghi cũ"
       " không được lưu"},
      {"request.malformed_json", "Nội dung yêu cầu không phải JSON hợp lệ"},
      {"request.empty_body", "Nội dung yêu cầu rỗng"},
      {"request.idempotency_key", "Khóa Idempotency-Key không hợp lệ"},
      {"request.parameter", "Tham số yêu cầu không hợp lệ"},
      {"request.bad_parameter", "Tham số yêu cầu không hợp lệ"},
      {"request.bad_id", "Mã định danh trong đường dẫn không hợp lệ"},
      {"request.field_missing", "Thiếu trường bắt buộc trong yêu cầu"},
      {"request.field_type", "Trường trong yêu cầu sai kiểu dữ liệu"},
      {"request.not_object", "Nội dung yêu cầu phải là một đối tượng JSON"},
      {"idempotency.conflict", "Khóa Idempotency-Key đã được dùng cho một nội dung khác"},
      {"ingest.too_many_records", "Một lần gửi có quá nhiều bản ghi so với giới hạn; hãy chia nhỏ và gửi lại"},
      {"ingest.no_records", "Tài liệu không có bản ghi nào ở vị trí quy định trong cấu hình ánh xạ"},
      {"ingest.unknown_feed", "Không có cấu hình ánh xạ cho luồng dữ liệu này của đơn vị"},
      {"batch.not_found", "Không tìm thấy lô dữ liệu"},
      {"record.not_found", "Không tìm thấy bản ghi"},
      {"record.unknown_entity", "Loại bản ghi không tồn tại"},
      {"mapping.invalid", "Tệp cấu hình ánh xạ không hợp lệ"},
      {"mapping.unreadable", "Không đọc được tệp cấu hình ánh xạ"},
      {"mapping.misplaced", "Tệp cấu hình ánh xạ nằm sai thư mục của đơn vị hoặc luồng dữ liệu"},
      {"mapping.no_records", "Tài liệu không có bản ghi nào ở vị trí quy định trong cấu hình ánh xạ"},
      {"mapping.not_found", "Không có cấu hình ánh xạ này"},
      {"mapping.transform_argument", "Tham số của bước biến đổi không hợp lệ"},
      {"mapping.transform_syntax", "Bước biến đổi viết sai cú pháp"},
      {"mapping.unknown_transform", "Bước biến đổi không tồn tại"},
      {"jsonpath.syntax", "Biểu thức JSONPath sai cú pháp"},
      {"date.bad_format", "Định dạng ngày trong cấu hình ánh xạ không hợp lệ"},
      {"date.bad_pivot", "Năm mốc cho năm hai chữ số không hợp lệ"},
      {"catalog.load", "Không nạp được danh mục dùng chung"},
      {"catalog.unknown_code_system", "Danh mục không có hệ mã này"},
      {"schema.load", "Không nạp được lược đồ dữ liệu chuẩn"},
      {"matching.invalid", "Tệp quy tắc so khớp không hợp lệ"},
      {"personal_id.bad_gender", "Giới tính dùng để kiểm tra số định danh không hợp lệ"},
      {"partner.exists", "Đơn vị đối tác đã tồn tại"},
      {"user.exists", "Đã có tài khoản với tên đăng nhập này"},
      {"user.not_found", "Không có tài khoản với tên đăng nhập này"},
      {"user.login_invalid",
       "Tên đăng nhập dài 2 đến 63 ký tự: chữ thường, chữ số, '.', '-' và '_', bắt đầu bằng chữ hoặc số"},
      {"user.role_invalid", "Vai trò phải là dept_admin, dept_staff, commune_staff hoặc school_staff"},
      {"user.units_required", "Tài khoản cấp phường/xã hoặc cấp trường phải gắn với ít nhất một đơn vị của mình"},
      {"user.level_invalid", "Cấp học phải là mã hai chữ số, ví dụ 02"},
      {"user.password_weak", "Mật khẩu phải dài từ 10 đến 1024 byte"},
      {"partner.not_found", "Không tìm thấy đơn vị đối tác"},
      {"partner.name_invalid", "Tên đơn vị đối tác không hợp lệ"},
      {"partner.revoked", "Đơn vị đối tác đã bị thu hồi quyền truy cập"},
      {"token.expiry_invalid", "Thời hạn của mã truy cập không hợp lệ"},
      {"token.grace_invalid", "Thời gian ân hạn của mã truy cập cũ không hợp lệ"},
      {"scope.invalid", "Phạm vi quyền không hợp lệ"},
      {"unit.invalid", "Đơn vị hành chính trong phạm vi quyền không hợp lệ"},
      {"publication.load", "Không nạp được cấu hình công bố dữ liệu"},
      {"publication.entity", "Loại bản ghi không được công bố cho đơn vị nhận"},
      {"publication.no_profile", "Đơn vị nhận chưa có hồ sơ công bố dữ liệu"},
      {"publication.unavailable", "Cấu hình công bố dữ liệu chưa sẵn sàng"},
      {"publication.units", "Phạm vi đơn vị hành chính không cho phép xem dữ liệu này"},
      {"sync.unknown_entity", "Loại bản ghi không tồn tại"},
      {"sync.cursor_ahead", "Con trỏ đồng bộ vượt quá nhật ký thay đổi do cơ sở dữ liệu đã được khôi phục; hãy đồng bộ lại từ đầu hoặc từ bản chụp"},
      {"sync.cursor_expired", "Các thay đổi sau con trỏ đồng bộ đã được chuyển khỏi nhật ký thay đổi; hãy đồng bộ lại từ bản chụp"},
      {"sink.options", "Tùy chọn của kênh đẩy dữ liệu không hợp lệ"},
      {"sink.unknown", "Kênh đẩy dữ liệu không tồn tại"},
      {"review.not_found", "Không tìm thấy mục chờ duyệt"},
      {"review.decided", "Mục chờ duyệt đã được quyết định"},
      {"review.bad_decision", "Quyết định duyệt không hợp lệ"},
      {"review.not_a_match_item", "Mục chờ duyệt không phải là nghi vấn trùng bản ghi"},
      {"review.id_taken", "Số định danh này đã thuộc về một bản ghi khác; nếu là cùng một người, hãy gộp hai bản ghi"},
      {"review.record_merged", "Bản ghi đã được gộp vào bản ghi khác; hãy quyết định trên bản ghi còn lại"},
      {"review.not_a_commune_item", "Mục chờ duyệt không phải là phường/xã cũ bị chia tách nên không quyết định bằng mã phường/xã mới"},
      {"review.commune_not_allowed",
       "Mã phường/xã được chọn không thuộc các phường/xã mới của phường/xã cũ đã bị chia tách; danh sách mã được phép có trong phần chi tiết (detail)"},
      {"review.payload_purged",
       "Dữ liệu gốc của lô đã bị xóa theo thời hạn lưu trữ nên không ghi lại được bản ghi; đơn vị gửi cần gửi lại bản ghi với mã phường/xã mới"},
      {"personal_id.verified_change",
       "Số định danh đã được xác thực với CSDL quốc gia về dân cư; giá trị mới được giữ lại chờ người có thẩm quyền duyệt, phần còn lại của bản ghi đã được cập nhật"},
      {"merge.not_found", "Không tìm thấy bản ghi cần gộp"},
      {"merge.same_record", "Không thể gộp một bản ghi vào chính nó"},
      {"merge.entity", "Không thể gộp hai bản ghi khác loại"},
      {"merge.already_merged", "Bản ghi đã được gộp vào bản ghi khác"},
      {"merge.not_merged", "Bản ghi chưa được gộp nên không thể tách"},
      {"merge.survivor_merged", "Bản ghi giữ lại đã được gộp vào bản ghi khác"},
      {"rollover.bad_argument", "Tham số chuyển năm học không hợp lệ"},
      {"rollover.unknown_plan", "Không tìm thấy kế hoạch chuyển năm học"},
      {"rollover.wrong_years", "Kế hoạch chuyển năm học thuộc năm học khác"},
      {"rollover.stale_plan", "Dữ liệu đã thay đổi sau khi lập kế hoạch chuyển năm học; cần lập lại"},
      {"units.unknown_plan", "Không tìm thấy kế hoạch chuyển đổi mã đơn vị hành chính"},
      {"units.stale_plan", "Mã đơn vị hành chính đã lưu thay đổi sau khi lập kế hoạch chuyển đổi; cần lập lại kế hoạch"},
      {"review.stale", "Bản ghi đã thay đổi sau khi tạo mục chờ duyệt nên không áp dụng quyết định"},
      {"school.code_superseded", "Mã trường đã được thay bằng mã của trường kế thừa (sáp nhập hoặc đổi mã); bản ghi đã được lưu cho trường kế thừa, hãy gửi mã mới"},
      {"school.split_pending", "Trường đã được chia tách: cần xác định học sinh chuyển sang trường kế thừa nào (có thể quyết định theo lớp)"},
      {"school.dissolved", "Trường đã giải thể: cần quyết định về quá trình học tập của học sinh"},
      {"school.not_moved", "Một số quá trình học tập không được chuyển tự động sang trường kế thừa; cán bộ vận hành sẽ xử lý"},
      {"school.bad_event", "Sự kiện trường học không hợp lệ"},
      {"school.unknown", "Không có trường nào mang mã này"},
      {"school.unknown_plan", "Không tìm thấy kế hoạch sự kiện trường học"},
      {"school.unknown_item", "Không tìm thấy mục xem xét sự kiện trường học đang mở"},
      {"school.already_applied", "Kế hoạch sự kiện trường học đã được áp dụng; mỗi kế hoạch chỉ áp dụng một lần"},
      {"school.stale_plan", "Dữ liệu đã thay đổi sau khi lập kế hoạch sự kiện trường học; cần lập lại"},
      {"school.not_applied", "Kế hoạch sự kiện trường học chưa được áp dụng nên không thể hoàn tác"},
      {"school.undo_too_late", "Năm học của sự kiện đã kết thúc; không thể hoàn tác, hãy lập sự kiện ngược lại"},
      {"school.not_a_split", "Kế hoạch không phải là một sự kiện chia tách trường đã được áp dụng"},
      {"export.bad_table", "Bảng báo cáo không hợp lệ (tên trang tính hoặc số ô của một dòng)"},
      {"export.xlsx", "Không tạo được tệp Excel của báo cáo"},
      {"quality.unit", "Đơn vị của báo cáo không hợp lệ; dùng province:<mã tỉnh>, commune:<mã xã>, school:<mã trường> hoặc all"},
      {"quality.unit_unknown", "Không có trường nào mang mã này"},
      {"quality.unit_forbidden", "Chỉ được xem báo cáo của các đơn vị thuộc phạm vi được cấp"},
      {"quality.level_forbidden", "Chỉ được xem báo cáo của các cấp học được phân quyền; hãy chọn cấp học bằng tham số level"},
      {"quality.level", "Cấp học không có trong danh mục cấp học"},
      {"quality.as_of", "Ngày báo cáo không hợp lệ hoặc ở sau ngày hôm nay"},
      {"quality.format", "Định dạng báo cáo phải là json, csv hoặc xlsx"},
      {"quality.entity", "Đối tượng của báo cáo phải là học sinh (student) hoặc cán bộ (staff)"},
      {"quality.measure", "Chỉ số của báo cáo không tồn tại"},
      // Cut-off reports (EMIS), frozen submissions, open data, their files.
      {"report.units", "Tham số units phải là as_of (đơn vị hành chính tại ngày báo cáo) hoặc current (đơn vị hành chính hiện nay)"},
      {"report.not_found", "Không tìm thấy báo cáo đã chốt số liệu (hoặc báo cáo không thuộc đơn vị được cấp quyền)"},
      {"report.timeout", "Báo cáo chạy quá thời gian cho phép nên bị dừng; hãy thử lại sau hoặc thu hẹp phạm vi báo cáo"},
      {"report.malformed", "Báo cáo đã lưu không đọc được; hãy báo cho cán bộ vận hành"},
      // Corrections of a value by a person (hub/store/corrections.h).
      {"correction.field_unknown", "Trường cần sửa không có trong lược đồ dữ liệu chuẩn của loại hồ sơ này"},
      {"correction.field_not_correctable",
       "Trường này dùng để nhận diện hồ sơ (khóa, số định danh, liên kết); hãy gộp, tách hoặc duyệt hồ sơ thay vì sửa giá trị"},
      {"correction.reason", "Cần ghi lý do sửa (từ 1 đến 500 ký tự)"},
      {"correction.unchanged", "Hồ sơ đã mang đúng giá trị này; không có gì để sửa"},
      {"correction.record_merged", "Hồ sơ đã được gộp vào hồ sơ khác; hãy sửa trên hồ sơ còn lại"},
      {"correction.level_forbidden", "Chỉ được sửa hồ sơ của các trường thuộc cấp học được phân quyền"},
      {"search.entity", "Chỉ tìm theo tên được với học sinh (student), cán bộ (staff) và trường (school)"},
      {"batch.record_not_found", "Lô dữ liệu không có bản ghi ở vị trí này"},
      {"batch.payload_purged", "Dữ liệu gốc của lô đã được xóa theo thời hạn lưu trữ; chỉ còn kết quả xử lý"},
      {"sync.consumer_unknown", "Không có bên nhận dữ liệu (consumer) với tên này"},
      {"search.query", "Tên cần tìm phải có từ 2 đến 100 chữ cái hoặc chữ số (không cần dấu)"},
  };
  return kMessages;
}

// The HTTP edge's codes (authentication, rate limits, limits on requests, overload): the English
// detail of each answer names the limit or value; this says what the code means.
const std::map<std::string, std::string, std::less<>>& problems() {
  static const std::map<std::string, std::string, std::less<>> kProblems = {
      {"auth.missing_token", "Thiếu mã truy cập; hãy gửi tiêu đề 'Authorization: Bearer <mã>'"},
      {"auth.malformed", "Tiêu đề Authorization phải có dạng 'Bearer <mã>'"},
      {"auth.token_invalid",
       "Mã truy cập không đúng, đã hết hạn hoặc đã bị thu hồi; liên hệ quản trị hệ thống để được cấp mã mới"},
      {"auth.token_expired", "Mã truy cập đã hết hạn; liên hệ quản trị hệ thống để đổi mã"},
      {"auth.throttled",
       "Địa chỉ này đã xác thực sai quá nhiều lần; hãy thử lại sau số giây ghi trong Retry-After"},
      {"auth.scope", "Đơn vị gửi không có quyền thực hiện thao tác này"},
      {"auth.session_invalid", "Phiên đăng nhập không hợp lệ, đã hết hạn hoặc đã kết thúc; hãy đăng nhập lại"},
      {"auth.session_required", "Thao tác này chỉ dành cho phiên đăng nhập của cổng quản trị; hãy đăng nhập trước"},
      {"auth.csrf", "Yêu cầu thay đổi dữ liệu bằng phiên đăng nhập phải gửi mã CSRF trong tiêu đề X-CSRF-Token"},
      {"user.login_failed", "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa"},
      {"user.login_throttled",
       "Đăng nhập sai quá nhiều lần với tài khoản này hoặc từ địa chỉ này; hãy thử lại sau số giây ghi trong Retry-After"},
      {"rate.limited", "Đơn vị gửi vượt quá giới hạn số yêu cầu; hãy thử lại sau số giây ghi trong Retry-After"},
      {"dependency.redis", "Hệ thống tạm thời không kết nối được Redis nên từ chối yêu cầu; hãy gửi lại sau"},
      {"dependency.postgres", "Hệ thống tạm thời không kết nối được cơ sở dữ liệu; hãy gửi lại sau"},
      {"dependency.unavailable", "Hệ thống chưa sẵn sàng: cơ sở dữ liệu hoặc Redis không kết nối được"},
      {"server.shutting_down", "Hệ thống đang dừng; yêu cầu chưa được xử lý, hãy gửi lại sau"},
      {"server.overloaded",
       "Hệ thống đang quá tải; yêu cầu chưa được xử lý, hãy gửi lại sau số giây ghi trong Retry-After"},
      {"server.busy", "Hệ thống đang giữ quá nhiều kết nối hoặc dữ liệu cùng lúc; yêu cầu chưa được xử lý, hãy gửi lại sau"},
      {"server.unavailable", "Hệ thống tạm thời không phục vụ được; yêu cầu chưa được xử lý, hãy gửi lại sau"},
      {"upstream.failed", "Máy chủ xử lý không trả lời đúng; yêu cầu có thể chưa được xử lý, hãy kiểm tra rồi gửi lại"},
      {"upstream.timeout", "Máy chủ xử lý không trả lời kịp; yêu cầu có thể chưa được xử lý, hãy kiểm tra rồi gửi lại"},
      {"request.too_large", "Nội dung yêu cầu vượt quá kích thước cho phép"},
      {"request.header_too_large", "Phần tiêu đề (header) của yêu cầu vượt quá kích thước cho phép"},
      {"request.uri_too_long", "Dòng yêu cầu (đường dẫn và tham số) quá dài"},
      {"request.timeout", "Yêu cầu không được gửi đến đầy đủ trong thời gian cho phép"},
      {"request.malformed", "Yêu cầu HTTP không đúng cú pháp hoặc phần tiêu đề quá lớn"},
      {"request.transfer_encoding", "Chỉ chấp nhận Transfer-Encoding: chunked"},
      {"request.http_version", "Chỉ hỗ trợ HTTP/1.1 và HTTP/1.0"},
      {"request.media_type", "Nội dung phải gửi dưới dạng application/json hoặc application/x-ndjson"},
      {"request.not_found", "Không có đường dẫn này"},
      {"request.method_not_allowed", "Phương thức HTTP này không được phép tại đường dẫn này"},
      {"internal", "Lỗi hệ thống không mong muốn; hãy báo mã yêu cầu (request_id) cho quản trị hệ thống"},
  };
  return kProblems;
}

}  // namespace

std::string vietnamese_message(std::string_view code) {
  auto it = messages().find(code);
  if (it != messages().end()) return it->second;
  return "Dữ liệu không hợp lệ (mã lỗi " + std::string(code) + ")";
}

bool has_vietnamese_message(std::string_view code) {
  return messages().count(code) > 0 || problems().count(code) > 0;
}

std::optional<std::string> find_vietnamese_message(std::string_view code) {
  auto it = messages().find(code);
  if (it != messages().end()) return it->second;
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> all_vietnamese_messages() {
  std::vector<std::pair<std::string, std::string>> out(messages().begin(), messages().end());
  out.insert(out.end(), problems().begin(), problems().end());
  return out;
}

std::string problem_message_vi(std::string_view code) {
  if (auto it = problems().find(code); it != problems().end()) return it->second;
  if (auto data = find_vietnamese_message(code)) return *data;
  // A 503 or a 404 is no fault in the data: a neutral text rather than the data-error wording.
  return "Yêu cầu không được xử lý (mã lỗi " + std::string(code) + "); chi tiết bằng tiếng Anh ở trường detail";
}

}  // namespace hub::mapping
